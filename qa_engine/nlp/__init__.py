"""The NLP stage: language detection, spaCy pipelines per language, phrase finding and PII recognition.

spaCy loads only when `pipelines` or `phrases` is imported, so `qa --help` and PII masking stay light.
"""

from qa_engine.nlp.language import detect_languages
from qa_engine.nlp.pii import PiiHit, analyze_pii, mask_pii

__all__ = ["PiiHit", "analyze_pii", "detect_languages", "mask_pii"]
