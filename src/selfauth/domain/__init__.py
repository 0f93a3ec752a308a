"""The rules of the product, pure Python: no HTTP, no SQL."""
