"""Synthetic but plausible KYC identities in several locales, the Philippines among them.

Names are common given names and surnames of each country; document numbers follow the
shape of each country's ID (PhilSys PCN: 16 digits; passports: letters and digits).
Nothing here is a real person. Identities are drawn as columns, a whole customer base at once.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chainsleuth.simulate._columns import digit_chars, fixed_text, join

LOCALES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str, str]] = {
    # country: (given names, surnames, national document type, phone prefix)
    "PH": (("Maria", "Jose", "Juan", "Ana", "Mark", "Angelica", "Rodel", "Kristine", "Jerome"),
           ("Santos", "Reyes", "Cruz", "Bautista", "Ocampo", "Garcia", "Mendoza", "Dela Cruz",
            "Villanueva", "Ramos"), "PhilSys PCN", "+63"),
    "US": (("James", "Mary", "Robert", "Jennifer", "Michael", "Linda", "David", "Ashley"),
           ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson"),
           "Driver licence", "+1"),
    "GB": (("Oliver", "Amelia", "George", "Isla", "Harry", "Ava"),
           ("Taylor", "Evans", "Thomas", "Roberts", "Walker", "Wright"), "Passport", "+44"),
    "DE": (("Lukas", "Anna", "Leon", "Lea", "Finn", "Mia"),
           ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker"), "Personalausweis",
           "+49"),
    "NG": (("Chinedu", "Ngozi", "Emeka", "Aisha", "Tunde", "Funmilayo"),
           ("Okafor", "Adeyemi", "Ibrahim", "Eze", "Balogun", "Okonkwo"), "NIN", "+234"),
    "BR": (("João", "Ana", "Pedro", "Mariana", "Lucas", "Beatriz"),
           ("Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa"), "CPF", "+55"),
    "VN": (("Minh", "Linh", "Huy", "Trang", "Duc", "Thao"),
           ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu"), "CCCD", "+84"),
    "IN": (("Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Sneha"),
           ("Sharma", "Patel", "Singh", "Kumar", "Reddy", "Gupta"), "Aadhaar", "+91"),
}  # fmt: skip
COUNTRY_WEIGHTS = {
    "PH": 0.3,
    "US": 0.15,
    "GB": 0.08,
    "DE": 0.08,
    "NG": 0.1,
    "BR": 0.1,
    "VN": 0.1,
    "IN": 0.09,
}


_COUNTRIES = list(COUNTRY_WEIGHTS)
_DASH, _DOT = ord("-"), ord(".")


def _pick(rng: np.random.Generator, country: np.ndarray, which: int) -> pa.Array:
    """A given name (``which`` 0) or surname (1) of each row's country."""
    lists = [LOCALES[c][which] for c in _COUNTRIES]
    sizes = np.array([len(x) for x in lists])
    starts = np.cumsum(sizes) - sizes
    at = starts[country] + (rng.random(len(country)) * sizes[country]).astype(np.int64)
    return pa.array([n for x in lists for n in x]).take(pa.array(at))


def _documents(rng: np.random.Generator, country: np.ndarray) -> pa.Array:
    """Document numbers in the shape of each country's ID."""
    n = len(country)
    d = rng.integers(48, 58, (n, 16), dtype=np.uint8)
    letters = rng.integers(65, 91, (n, 2), dtype=np.uint8)
    dash, dot = np.full((n, 1), _DASH, np.uint8), np.full((n, 1), _DOT, np.uint8)
    shapes = {
        "PH": np.hstack([d[:, :4], dash, d[:, 4:8], dash, d[:, 8:12], dash, d[:, 12:]]),
        "BR": np.hstack([d[:, :3], dot, d[:, 3:6], dot, d[:, 6:9], dash, d[:, 9:11]]),
        "IN": d[:, :12], "VN": d[:, :12], "NG": d[:, :11],
    }  # fmt: skip
    other = np.hstack([letters, d[:, :7]])
    parts, rows = [], []
    for k, code in enumerate(_COUNTRIES):
        at = np.flatnonzero(country == k)
        parts.append(fixed_text(shapes.get(code, other)[at]))
        rows.append(at)
    order = np.argsort(np.concatenate(rows), kind="stable")
    return pa.concat_arrays(parts).take(pa.array(order))


def identities(rng: np.random.Generator, n: int) -> dict[str, pa.Array]:
    """``n`` synthetic customer identities as columns: name, country, birth date, document,
    email, phone."""
    weights = list(COUNTRY_WEIGHTS.values())
    country = rng.choice(len(_COUNTRIES), size=n, p=weights)
    first, last = _pick(rng, country, 0), _pick(rng, country, 1)
    born = np.hstack([
        digit_chars(rng.integers(1955, 2005, n), 4), np.full((n, 1), _DASH, np.uint8),
        digit_chars(rng.integers(1, 13, n), 2), np.full((n, 1), _DASH, np.uint8),
        digit_chars(rng.integers(1, 29, n), 2),
    ])  # fmt: skip
    prefixes = pa.array([LOCALES[c][3] for c in _COUNTRIES]).take(pa.array(country))
    phone = join(prefixes, " ", fixed_text(rng.integers(48, 58, (n, 10), dtype=np.uint8)))
    handle = pc.replace_substring(pc.utf8_lower(join(first, ".", last)), " ", "")
    number = pa.array(rng.integers(1, 999, n))
    return {
        "full_name": join(first, " ", last),
        "date_of_birth": fixed_text(born),
        "country": pa.array(_COUNTRIES).take(pa.array(country)),
        "document_type": pa.array([LOCALES[c][2] for c in _COUNTRIES]).take(pa.array(country)),
        "document_id": _documents(rng, country),
        "email": join(handle, number, "@example.com"),
        "phone": phone,
    }
