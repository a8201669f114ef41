"""Lianhu forms: XLSForm conversion, XForm fields, submission parsing and validation.

Pure Python: imports neither Flask nor SQLAlchemy, nothing else of Lianhu's.
"""

from forms.errors import AnswerError, FormError, InstanceError, XLSFormError

__all__ = ["AnswerError", "FormError", "InstanceError", "XLSFormError"]
