"""Import and export jobs: the job record, the import row rules, the export projection."""
