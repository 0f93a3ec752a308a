"""Email: templates and their rendering, the mails they produce, and the links they carry."""
