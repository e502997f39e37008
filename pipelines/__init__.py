"""NHCSXH Hanoi policy-credit analytics pipeline."""
