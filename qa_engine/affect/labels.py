"""qa-engine's affect label sets (CONTRACT.md section 3) and how public data sets map onto them."""

from __future__ import annotations

SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
EMOTIONS: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")

# GoEmotions' Ekman and sentiment groupings, from the GoEmotions paper (Demszky et al., 2020).
GOEMOTIONS_EKMAN: dict[str, str] = {
    **dict.fromkeys(["anger", "annoyance", "disapproval"], "anger"),
    "disgust": "disgust",
    **dict.fromkeys(["fear", "nervousness"], "fear"),
    **dict.fromkeys(
        ["joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism", "relief", "pride",
         "admiration", "desire", "caring"],
        "joy",
    ),
    **dict.fromkeys(["sadness", "disappointment", "embarrassment", "grief", "remorse"], "sadness"),
    **dict.fromkeys(["surprise", "realization", "confusion", "curiosity"], "surprise"),
    "neutral": "neutral",
}  # fmt: skip
GOEMOTIONS_SENTIMENT: dict[str, str] = {
    **dict.fromkeys(
        ["amusement", "excitement", "joy", "love", "desire", "optimism", "caring", "pride", "admiration",
         "gratitude", "relief", "approval"],
        "positive",
    ),
    **dict.fromkeys(
        ["fear", "nervousness", "remorse", "embarrassment", "disappointment", "sadness", "grief", "disgust",
         "anger", "annoyance", "disapproval"],
        "negative",
    ),
    **dict.fromkeys(["realization", "surprise", "curiosity", "confusion"], "ambiguous"),
    "neutral": "neutral",
}  # fmt: skip

# NLPCC 2013 (Weibo) emotion labels -> ours, as the data README gives them.
NLPCC_EMOTION: dict[str, str] = {
    "none": "neutral", "like": "joy", "happiness": "joy", "anger": "anger", "disgust": "disgust",
    "sadness": "sadness", "surprise": "surprise", "fear": "fear",
}  # fmt: skip
# Our decision: NLPCC emotions also give Chinese sentiment labels (the Chinese review data has no neutral class);
# surprise is ambiguous in sentiment, as in GoEmotions' grouping, so it gets none.
EMOTION_SENTIMENT: dict[str, str | None] = {
    "neutral": "neutral", "joy": "positive", "anger": "negative", "disgust": "negative", "fear": "negative",
    "sadness": "negative", "surprise": None,
}  # fmt: skip

XLMT_LANGUAGES: dict[str, str] = {
    "english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it", "portuguese": "pt",
    "arabic": "ar", "hindi": "hi",
}  # fmt: skip
