"""View-models: exactly what each publication prints, already selected, sorted and formatted."""
