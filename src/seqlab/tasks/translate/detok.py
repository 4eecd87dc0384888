"""From lowercased tokens back to text: casing and spacing learned from the training targets.

Training lowercases every sentence and splits punctuation off words (``seqlab.data.text.WordTokenizer``),
so a hypothesis is a list of lowercased tokens. BLEU compares it with the original text, so we
put back what tokenising took away, learned from the training targets only:

- casing: each token's most frequent written form away from the start of a sentence
  (``tom`` -> ``Tom``, ``paris`` -> ``Paris``), and a capital first letter;
- spacing: whether each punctuation token is written after a space more often than not (French
  writes ``Va !`` and ``Quoi ?`` but ``Saute.``; English ``Go!``), and whether a space follows it
  (``J'ai``, ``¿Dónde``, ``l’heure`` are glued); a punctuation mark between two digits is glued
  to both (``3.5``, ``10:30``).

Example:
    >>> surface = learn_surface(["Tom est là !", "Je vois Tom.", "Tom a ri."])
    >>> detokenize(["je", "vois", "tom", "!"], surface), detokenize(["tom", "est", "là", "."], surface)
    ('Je vois Tom !', 'Tom est là.')
    >>> surface = learn_surface(["J’ai vu Tom.", "Il l’a dit à 10:30.", "¿Dónde está?"])
    >>> detokenize(["j", "’", "ai", "3", ".", "5", "ans", "."], surface), detokenize(["¿", "dónde", "?"], surface)
    ('J’ai 3.5 ans.', '¿Dónde?')
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from seqlab.data.text import WORD_PATTERN

_WORD = re.compile(r"\w")


def learn_surface(texts: list[str]) -> dict:
    """``{"case": {token: written form}, "space_before": [punctuation tokens written after a space],
    "glued_after": [punctuation tokens that the next word follows without a space]}``."""
    forms: dict[str, Counter] = defaultdict(Counter)
    spaced, punct = Counter(), Counter()
    glued, followed = Counter(), Counter()
    for text in texts:
        for k, m in enumerate(WORD_PATTERN.finditer(text)):
            token = m.group(0)
            if _WORD.match(token):
                if k > 0:
                    forms[token.lower()][token] += 1
                continue
            if m.start() > 0:
                punct[token] += 1
                spaced[token] += text[m.start() - 1].isspace()
            if m.end() < len(text) and not text[m.start() - 1:m.start()].isdigit():
                followed[token] += 1
                glued[token] += not text[m.end()].isspace()
    case = {}
    for low, counter in forms.items():
        form, _ = max(counter.items(), key=lambda kv: (kv[1], kv[0] == low))
        if form != low:
            case[low] = form
    return {"case": dict(sorted(case.items())),
            "space_before": sorted(t for t, n in punct.items() if 2 * spaced[t] > n),
            "glued_after": sorted(t for t, n in followed.items() if 2 * glued[t] > n)}


def detokenize(tokens: list[str], surface: dict) -> str:
    """Join ``tokens`` with spaces, except before punctuation written without one; recase."""
    case, spaced = surface.get("case", {}), set(surface.get("space_before", ()))
    glued = set(surface.get("glued_after", ()))
    out = ""
    for k, token in enumerate(tokens):
        word = bool(_WORD.match(token))
        text = case.get(token, token) if word else token
        previous = tokens[k - 1] if k else ""
        in_number = k >= 2 and token.isdigit() and tokens[k - 2].isdigit() and not _WORD.match(previous)
        if out and (word or token in spaced) and previous not in glued and not in_number:
            out += " "
        if in_number and out.endswith(" "):
            out = out[:-1]
        out += text
    return out[:1].upper() + out[1:]
