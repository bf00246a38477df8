"""The live loop end to end with a tiny trained model: streaming a signal through a device's
frames gives the decisions of classifying its windows directly; dropped frames reject exactly
the windows they touch; a model that needs more leads than the device has is refused."""
from pathlib import Path

import numpy as np
import pytest
import torch

from contract.decision import above_threshold
from contract.labels import CINC2017, PTBXL17
from contract.preprocessing import input_length, preprocess_window
from contract.synthetic import synthetic_ecg
from streaming.classifier import load_classifier
from streaming.devices import get_device
from streaming.errors import InputError, ModelMismatch
from streaming.live import LiveLoop, WindowResult
from streaming.records import load_signal, read_record
from streaming.simulator import Faults, simulate
from training.checkpoint import save_bundle
from training.registry import build_model

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TINY_KWARGS = {"leads": 1, "num_classes": 4, "multi_label": False}


def _synthetic_example(k: int, seed: int) -> np.ndarray:
    """Class k of cinc2017 as synthetic ECG: N normal, A irregular, O fast, ~ very noisy."""
    x = synthetic_ecg(100, 10, heart_rate=(70, 90, 130, 70)[k], af=k == 1, noise_mv=0.6 if k == 3 else 0.01, seed=seed)
    return preprocess_window(x, 100).window


def train_tiny_bundle(path: Path) -> Path:
    """~100 Adam steps of tiny_lamscn on synthetic windows: enough for decisions that mean something."""
    torch.manual_seed(0)
    x = torch.from_numpy(np.stack([_synthetic_example(i % 4, i) for i in range(96)]))
    y = torch.tensor([i % 4 for i in range(96)])
    model = build_model("tiny_lamscn", **TINY_KWARGS)
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    gen = torch.Generator().manual_seed(0)
    for _ in range(100):
        idx = torch.randint(0, len(x), (16,), generator=gen)
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return save_bundle(path, model.eval(), "tiny_lamscn", TINY_KWARGS, CINC2017, [0.5] * 4)


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory) -> Path:
    path = tmp_path_factory.getbasetemp() / "tiny_cinc2017_bundle"
    return path if (path / "bundle.json").is_file() else train_tiny_bundle(path)


@pytest.fixture(scope="session")
def twelve_lead_bundle(tmp_path_factory) -> Path:
    path = tmp_path_factory.getbasetemp() / "tiny_ptbxl17_bundle"
    if not (path / "bundle.json").is_file():
        kwargs = {"leads": 12, "num_classes": 17, "multi_label": True}
        save_bundle(path, build_model("tiny_lamscn", **kwargs).eval(), "tiny_lamscn", kwargs, PTBXL17, [0.5] * 17)
    return path


def stream(device, frames, classifier) -> list[WindowResult]:
    loop = LiveLoop(device, classifier)
    items = [i for f in frames for i in loop.feed(f)] + loop.finish()
    return [i for i in items if isinstance(i, WindowResult)]


def direct(classifier, x: np.ndarray, rate: int, start: int) -> np.ndarray:
    pre = preprocess_window(x[None, start:start + input_length(rate)], rate)
    return classifier.probabilities(pre.window[None])


def test_tiny_model_tells_its_synthetic_classes_apart(tiny_bundle):
    clf = load_classifier(tiny_bundle)
    for k in range(4):
        assert int(np.argmax(clf.probabilities(_synthetic_example(k, 1000 + k)[None]))) == k


@pytest.mark.parametrize("device_name, spec", [("polar-h10", "synthetic:seconds=30,hr=70,seed=2"),
                                               ("polar-h10", "synthetic:seconds=30,hr=95,af=1,seed=3"),
                                               ("movesense", "synthetic:seconds=25,hr=130,seed=4")])
def test_stream_equals_direct_classification(tiny_bundle, device_name, spec):
    device, clf = get_device(device_name), load_classifier(tiny_bundle)
    x = load_signal(spec, device.rate)
    results = stream(device, simulate(device, x), clf)
    assert len(results) >= 3 and all(r.status == "classified" for r in results)
    for r in results:
        exact = direct(clf, device.quantize(x), device.rate, r.window.start)
        assert np.array_equal(np.asarray(r.probabilities, dtype=np.float32), exact)
        unquantized = direct(clf, x, device.rate, r.window.start)
        assert np.abs(unquantized - exact).max() < 1e-3
        assert r.above == [c for c, a in zip(clf.codes, above_threshold(unquantized, clf.thresholds, False)) if a]


def test_dropped_frames_reject_exactly_the_windows_they_touch(tiny_bundle):
    device, clf = get_device("polar-h10"), load_classifier(tiny_bundle)
    x = load_signal("synthetic:seconds=60,seed=5", device.rate)
    clean = simulate(device, x)
    lossy = simulate(device, x, Faults(drop=0.02, seed=9))
    kept = set(lossy)
    lost = [i for i, f in enumerate(clean) if f not in kept]
    assert lost, "the seed must drop at least one frame"
    n, need = device.samples_per_frame, input_length(device.rate)
    reference = {r.window.start: r for r in stream(device, clean, clf)}
    results = stream(device, lossy, clf)
    assert [r.window.start for r in results] == list(reference)[:len(results)]
    for r in results:
        touched = any(r.window.start < (i + 1) * n and i * n < r.window.start + need for i in lost)
        if touched:
            assert (r.status, r.reason, r.probabilities) == ("rejected", "gap", None)
        else:
            assert r.status == "classified" and r.probabilities == reference[r.window.start].probabilities


def test_twelve_lead_model_is_refused_on_a_one_lead_device(twelve_lead_bundle):
    clf = load_classifier(twelve_lead_bundle)
    with pytest.raises(ModelMismatch, match="^this model needs 12 leads; Polar H10 provides 1$"):
        LiveLoop(get_device("polar-h10"), clf)


def test_missing_model_and_pte_without_runtime(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_classifier(tmp_path / "nothing")
    pte = tmp_path / "model.pte"
    pte.write_bytes(b"\0")
    try:
        import export.runtime  # noqa: F401
    except ImportError:
        with pytest.raises(InputError, match="export/runtime.py"):
            load_classifier(pte)
    else:
        with pytest.raises(InputError, match="manifest.json"):
            load_classifier(pte)


REAL = [("ptbxl/records500/00000/00001_hr", "PTB-XL 500 Hz"), ("ptbxl/records500/00000/00002_hr", "PTB-XL 500 Hz"),
        ("cinc2017/training/A00006", "CinC 2017 300 Hz")]


SHIPPED_1LEAD = Path(__file__).resolve().parents[1] / "checkpoints" / "lamscn_1lead_cinc2017"


@pytest.mark.parametrize("model", ["tiny", "shipped"])
@pytest.mark.parametrize("record, what", REAL)
def test_real_record_through_h10_matches_direct_classification(tiny_bundle, model, record, what):
    path = DATA / record
    if not Path(str(path) + ".hea").is_file():
        pytest.skip(f"{what} record {record} not present under {DATA} (shared data absent)")
    if model == "shipped" and not (SHIPPED_1LEAD / "bundle.json").is_file():
        pytest.skip(f"shipped single-lead checkpoint not present at {SHIPPED_1LEAD}")
    device = get_device("polar-h10")
    clf = load_classifier(tiny_bundle if model == "tiny" else SHIPPED_1LEAD)
    native, fs = read_record(str(path))
    x = load_signal(str(path), device.rate)
    results = stream(device, simulate(device, x), clf)
    assert results
    for r in results:
        if r.status != "classified":
            assert r.reason == "quality"
            continue
        exact = direct(clf, device.quantize(x), device.rate, r.window.start)
        assert np.array_equal(np.asarray(r.probabilities, dtype=np.float32), exact)
        at_device_rate = direct(clf, x, device.rate, r.window.start)  # without the 1 µV rounding of the frames
        assert np.abs(exact - at_device_rate).max() < 5e-3
        assert r.above == [c for c, a in zip(clf.codes, above_threshold(at_device_rate, clf.thresholds, False)) if a]
        at_native_rate = direct(clf, native, fs, r.window.start * fs // device.rate)
        assert np.argmax(at_native_rate) == np.argmax(r.probabilities)
