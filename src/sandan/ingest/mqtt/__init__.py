"""MQTT in: the subscriber service, the ``sandan/v1/…`` topic scheme and its JSON payloads."""
