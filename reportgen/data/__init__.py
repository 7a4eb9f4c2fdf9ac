"""Reading and checking the input files."""
