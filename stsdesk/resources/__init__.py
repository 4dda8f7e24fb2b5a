"""Files shipped with the package: scenario policy documents, templates, icons."""
