"""Commands out: the allow-list of controllable points and two-step control commands to gateways."""
