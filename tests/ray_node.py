"""`ray start` for a loopback-only test cluster: ``python tests/ray_node.py start ...``.

Ray turns a node address of 127.0.0.1 into the machine's outward address (so that other machines
can join) and then listens on every interface. A test cluster must listen on loopback only, so this
launcher keeps the address it is given; with 127.0.0.1 every Ray server binds to 127.0.0.1.
"""

import sys

import ray._private.services as services
from ray.scripts.scripts import main

services.resolve_ip_for_localhost = lambda host: host

if __name__ == "__main__":
    sys.argv = ["ray", *sys.argv[1:]]
    sys.exit(main())
