"""OPC UA adapter: node ids mapped to points, read by subscription or by polling (asyncua client)."""
