"""Ways in: file import (CSV/XLSX) today; HTTP, MQTT and gateways behind the same ``Reading`` seam later."""
