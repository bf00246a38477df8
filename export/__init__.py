"""Export LAMSCN bundles to on-device artifacts: ExecuTorch (.pte, XNNPACK) and Core ML (.mlpackage)."""
