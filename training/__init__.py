"""LAMSCN training: data readers, labels, the preprocessing contract, the model, training and evaluation."""
