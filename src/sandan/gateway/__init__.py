"""The edge gateway: polls meters (Modbus TCP, OPC UA, CSV drops), buffers every reading in a local
SQLite queue, and forwards batches to the platform, deleting only what the platform acknowledged.

It runs on a small box in the factory and imports nothing of the platform's server side.
"""
