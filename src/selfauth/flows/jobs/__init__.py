"""Import and export jobs: reading an import file in batches, writing an export, running them."""
