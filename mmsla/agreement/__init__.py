"""Agreement files: parse (YAML/JSON), validate (schema, then semantics), build `Agreement`.

`load_agreement(path)` is the one entry point; every problem found is collected
and raised together as `mmsla.errors.AgreementError` (`FILE: path.to.key: message`).
"""

from mmsla.agreement.load import SCHEMA_PATH, load_agreement, parse_agreement

__all__ = ["SCHEMA_PATH", "load_agreement", "parse_agreement"]
