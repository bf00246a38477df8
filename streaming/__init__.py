"""The streaming reference: BLE ECG frames -> windows -> signal quality -> LAMSCN findings.

What the Android and iOS cores port, module by module: ``polar_pmd`` and ``movesense`` (frame
codecs), ``devices``, ``sequencer`` (gaps, reordering, duplicates, clock jumps), ``windows``,
``heart_rate``, ``decision`` (thresholds, debounce) and ``live`` (the loop), with
``contract.preprocessing`` and ``contract.quality``; ``golden`` writes the files that pin them.
"""
