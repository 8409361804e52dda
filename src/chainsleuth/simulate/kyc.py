"""Synthetic but plausible KYC identities in several locales, the Philippines among them.

Names are common given names and surnames of each country; document numbers follow the
shape of each country's ID (PhilSys PCN: 16 digits; passports: letters and digits).
Nothing here is a real person.
"""

from __future__ import annotations

import numpy as np

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


def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, n))


def document_id(country: str, rng: np.random.Generator) -> str:
    """A document number of the country's usual shape."""
    if country == "PH":
        d = _digits(rng, 16)
        return f"{d[:4]}-{d[4:8]}-{d[8:12]}-{d[12:]}"
    if country == "BR":
        d = _digits(rng, 11)
        return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}"
    if country in ("IN", "NG", "VN"):
        return _digits(rng, 12 if country != "NG" else 11)
    letters = "".join(chr(65 + int(c)) for c in rng.integers(0, 26, 2))
    return letters + _digits(rng, 7)


def identity(rng: np.random.Generator) -> dict[str, str]:
    """One synthetic customer identity: name, country, birth date, document, phone, email."""
    countries = list(COUNTRY_WEIGHTS)
    country = countries[int(rng.choice(len(countries), p=list(COUNTRY_WEIGHTS.values())))]
    given, family, doc_type, prefix = LOCALES[country]
    first, last = given[rng.integers(len(given))], family[rng.integers(len(family))]
    year, month, day = (
        int(rng.integers(1955, 2005)),
        int(rng.integers(1, 13)),
        int(rng.integers(1, 29)),
    )
    email_name = f"{first}.{last}".lower().replace(" ", "")
    return {
        "full_name": f"{first} {last}",
        "country": country,
        "date_of_birth": f"{year:04d}-{month:02d}-{day:02d}",
        "document_type": doc_type,
        "document_id": document_id(country, rng),
        "phone": f"{prefix} {_digits(rng, 10)}",
        "email": f"{email_name}{int(rng.integers(1, 999))}@example.com",
    }
