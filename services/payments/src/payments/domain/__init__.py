"""The payments rules: cards on file, charges of invoices and why a payment is refused.

Pure: nothing here touches a database, Kafka, HTTP or Stripe.
"""
