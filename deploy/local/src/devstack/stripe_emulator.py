"""The Stripe emulator (`localstripe`), bound to loopback, with its store where we say.

localstripe binds every interface and pickles its whole store to a fixed file in /tmp after
each change, which two stacks on one machine would share. This runner binds 127.0.0.1 and
keeps the store in the stack's state folder, written once per changing request.

Run as `python -m devstack.stripe_emulator --port P [--store FILE]`.
"""

import argparse
import pickle
from pathlib import Path

from aiohttp import web
from localstripe import resources, server


def _persist_to(store_file: Path | None) -> None:
    def dump(store: resources.Store) -> None:
        if store_file is not None:
            temporary = store_file.with_suffix(".tmp")
            temporary.write_bytes(pickle.dumps(dict(store), protocol=pickle.HIGHEST_PROTOCOL))
            temporary.replace(store_file)

    def load(store: resources.Store) -> None:
        if store_file is not None and store_file.exists():
            store.clear()
            dict.update(store, pickle.loads(store_file.read_bytes()))

    resources.Store.dump_to_disk = dump
    resources.Store.try_load_from_disk = load
    # The server's middleware already saves after each changing request; not per key too.
    resources.Store.__setitem__ = dict.__setitem__
    resources.Store.__delitem__ = dict.__delitem__


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", type=Path)
    args = parser.parse_args()
    _persist_to(args.store)
    resources.store.try_load_from_disk()
    web.run_app(server.app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
