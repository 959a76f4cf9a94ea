"""The invoicing service: pricing, usage ingestion, invoices and PDFs."""
