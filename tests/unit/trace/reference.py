"""The oracle: GS1 Germany's reference hash generator (``epcis-event-hash-generator``, a test extra).

Its JSON reader keeps the prefixes of every document it has read in a module global, so each
call starts from a clean one: the hash of a document must not depend on the ones before it.
It reads its bundled JSON-LD context with a function Python 3.11 deprecates; under the suite's
warnings-as-errors that would send it to the network, so the warning is silenced around it.
"""

from __future__ import annotations

import json
import warnings

from epcis_event_hash_generator import hash_generator, json_to_py, xml_to_py


def _events(data: bytes, syntax: str) -> tuple[str, str, list[object]]:
    if syntax == "json":
        json_to_py._namespaces.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return json_to_py.event_list_from_epcis_document_json(json.loads(data))
    return xml_to_py.event_list_from_epcis_document_str(data.decode("utf-8"))


def reference_pre_hashes(data: bytes, syntax: str) -> list[str]:
    """The reference's pre-hash string of each event of a document."""
    return hash_generator.derive_prehashes_from_events(_events(data, syntax), join_by="")


def reference_hashes(data: bytes, syntax: str) -> list[str]:
    """The reference's hash of each event of a document (it skips an event it cannot hash)."""
    return hash_generator.calculate_hashes_from_pre_hashes(reference_pre_hashes(data, syntax))
