"""Reading real images with a trained network, stage by stage: `ink` (tell ink from paper) →
`segment` (a line into characters and word spaces) → `recognizer` (frame each character as the
training images were, classify it) → `decode` (spell the words with a `lexicon` and case rules);
`lines` draws test lines and photos from a dataset's test characters, `cer` scores the reading
against the same characters in isolation.

What a notebook or script needs is here: `Recognizer`, `classify` (a photo of one character),
`read` (a photo of a line), `frame_photo`, `Lexicon`, the generated test images (`writing`
says what lines a dataset's classes can write) and `score_reading`.
"""

from helpers.reading.cer import score_reading
from helpers.reading.lexicon import Lexicon
from helpers.reading.lines import (
    character_photo,
    generate_lines,
    generate_number_lines,
    generate_text_lines,
    generate_word_lines,
    writing,
)
from helpers.reading.recognizer import Recognizer, classify, frame_photo, read

__all__ = ["Lexicon", "Recognizer", "character_photo", "classify", "frame_photo",
           "generate_lines", "generate_number_lines", "generate_text_lines",
           "generate_word_lines", "read", "score_reading", "writing"]
