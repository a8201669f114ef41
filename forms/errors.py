"""Errors raised by the forms library; the server turns them into problems."""


class FormError(Exception):
    """Base class: something about a form, a submission or its answers is wrong."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class XLSFormError(FormError):
    """An XLSForm could not be read or converted; the message quotes pyxform."""


class InstanceError(FormError):
    """A submission's XML is malformed, unsafe, or lacks what identifies it."""


class AnswerError(FormError):
    """Answers failed validation; `errors` lists {"path", "message"} dicts."""

    def __init__(self, errors: list[dict], message: str | None = None):
        self.errors = list(errors)
        if message is None:
            message = "; ".join(
                f"{e['path']}: {e['message']}" if e.get("path") else e["message"]
                for e in self.errors
            ) or "Invalid answers."
        super().__init__(message)
