"""Label definitions of the project's tasks: the one place the class tables live.

Task ``ptbxl17`` maps PTB-XL statement groups (``sub_class``, ``form``, ``rhythm``) to 17
multi-label conditions (DESIGN.md). Task ``cinc2017`` is the single-label N / AF / Other / Noisy
task of the PhysioNet/CinC Challenge 2017.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Condition:
    """One output class: its code, human name, SNOMED-CT concepts and where it comes from.
    ``poor_signal``: the class means "too noisy to classify", shown as poor signal, never as a finding."""

    code: str
    name: str
    snomed_ct: tuple[str, ...] = ()
    sub_class: tuple[str, ...] = ()
    form: tuple[str, ...] = ()
    rhythm: tuple[str, ...] = ()
    source: str = ""
    poor_signal: bool = False

    def present(self, sub_class: set[str], form: set[str], rhythm: set[str]) -> bool:
        """True when any PTB-XL statement group of this condition is in the record's sets."""
        return bool(sub_class & set(self.sub_class) or form & set(self.form) or rhythm & set(self.rhythm))


@dataclass(frozen=True)
class Task:
    """A task: its classes, whether they are exclusive, and the leads it needs."""

    name: str
    conditions: tuple[Condition, ...]
    multi_label: bool
    leads: tuple[str, ...]
    description: str = ""
    dataset: str = ""

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.conditions]

    @property
    def num_classes(self) -> int:
        return len(self.conditions)

    @property
    def poor_signal_code(self) -> str | None:
        """The code of the class that means "too noisy to classify", if the task has one."""
        return next((c.code for c in self.conditions if c.poor_signal), None)


PTBXL_LEADS = ("I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6")

PTBXL17 = Task(
    name="ptbxl17",
    multi_label=True,
    leads=PTBXL_LEADS,
    description="PTB-XL, 12 leads, 10 s, 17 conditions (multi-label)",
    dataset="PTB-XL v1.0.3 (Wagner et al., Scientific Data 2020; CC BY 4.0)",
    conditions=(
        Condition("AFIB", "atrial fibrillation", ("164889003",), rhythm=("AFIB",), source="rhythm AFIB"),
        Condition("STACH", "sinus tachycardia", ("427084000",), rhythm=("STACH",), source="rhythm STACH"),
        Condition("SBRAD", "sinus bradycardia", ("426177001",), rhythm=("SBRAD",), source="rhythm SBRAD"),
        Condition("SARRH", "sinus arrhythmia", ("427393009",), rhythm=("SARRH",), source="rhythm SARRH"),
        Condition("PAC", "premature atrial complexes", ("284470004",), form=("PAC",), rhythm=("SVARR",),
                  source="form PAC, or rhythm SVARR"),
        Condition("PVC", "premature ventricular complexes", ("427172004",), form=("PVC",), source="form PVC"),
        Condition("AVB", "AV block (mostly 1st degree)", ("233917008",), sub_class=("AVB",), source="sub_class AVB"),
        Condition("CLBBB", "complete left bundle branch block", ("733534002",), sub_class=("CLBBB",),
                  source="sub_class CLBBB"),
        Condition("CRBBB", "complete right bundle branch block", ("713427006",), sub_class=("CRBBB",),
                  source="sub_class CRBBB"),
        Condition("IRBBB", "incomplete right bundle branch block", ("713426002",), sub_class=("IRBBB",),
                  source="sub_class IRBBB"),
        Condition("LAFB/LPFB", "left anterior/posterior fascicular block", ("445118002", "445211001"),
                  sub_class=("LAFB/LPFB",), source="sub_class LAFB/LPFB"),
        Condition("IVCD", "non-specific intraventricular conduction disturbance", ("698252002",),
                  sub_class=("IVCD",), source="sub_class IVCD"),
        Condition("LVH", "left ventricular hypertrophy", ("164873001",), sub_class=("LVH",), source="sub_class LVH"),
        Condition("AMI", "anterior myocardial infarction", ("54329005",), sub_class=("AMI",), source="sub_class AMI"),
        Condition("IMI", "inferior myocardial infarction", ("73795002",), sub_class=("IMI",), source="sub_class IMI"),
        Condition("ISC", "ischemic ST-T changes", ("164861001",), sub_class=("ISC", "ISCA", "ISCI"),
                  source="sub_class ISC, ISCA or ISCI"),
        Condition("STTC", "non-specific ST-T changes", ("428750005",), sub_class=("STTC", "NST"),
                  source="sub_class STTC or NST"),
    ),
)

CINC2017 = Task(
    name="cinc2017",
    multi_label=False,
    leads=("I",),
    description="PhysioNet/CinC 2017 AliveCor single lead: Normal / AF / Other rhythm / Noisy",
    dataset="PhysioNet/CinC Challenge 2017 training set v3 (Clifford et al., CinC 2017; ODC-By 1.0)",
    conditions=(
        Condition("N", "normal sinus rhythm", ("426783006",)),
        Condition("A", "atrial fibrillation", ("164889003",)),
        Condition("O", "other rhythm", ()),
        Condition("~", "too noisy to classify", (), poor_signal=True),
    ),
)

TASKS: dict[str, Task] = {t.name: t for t in (PTBXL17, CINC2017)}


def get_task(name: str) -> Task:
    """Return the task called ``name`` or raise ``ValueError`` naming the known ones."""
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task '{name}' (known: {', '.join(sorted(TASKS))})") from None


def normalize_statement(code: str) -> str:
    """PTB-XL's own tables write some groups with underscores (``NST_``, ``_AVB``, ``ISC_``)."""
    return code.strip().strip("_")


def ptbxl17_targets(sub_class: set[str], form: set[str], rhythm: set[str]) -> list[int]:
    """Binary 17-vector of ``ptbxl17`` for one record's statement groups."""
    norm = [{normalize_statement(c) for c in s} for s in (sub_class, form, rhythm)]
    return [int(c.present(*norm)) for c in PTBXL17.conditions]


def cinc2017_target(label: str) -> int:
    """Class index of a CinC 2017 reference label (``N``, ``A``, ``O`` or ``~``)."""
    codes = CINC2017.codes
    if label not in codes:
        raise ValueError(f"unknown CinC 2017 label '{label}' (expected one of {' '.join(codes)})")
    return codes.index(label)
