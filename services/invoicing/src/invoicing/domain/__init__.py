"""Invoicing's rules: money, billing periods, the price book, usage and invoices. No I/O here."""
