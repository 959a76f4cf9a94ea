"""The accounts rules: what a billing account is, who may see it, and why a request is refused.

Pure: nothing here touches a database, Kafka or HTTP.
"""
