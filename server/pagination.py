"""One way to page a select for flask-smorest's @paginate()."""
from .errors import ValidationFailed
from .extensions import db

#: beyond this a page number is nonsense (and its OFFSET would overflow the database's integers)
MAX_PAGE = 1_000_000


def checked_page(page: int) -> int:
    """The page number, or a 422 problem when it is absurdly large."""
    if page > MAX_PAGE:
        raise ValidationFailed(f"page must be at most {MAX_PAGE:,}.", field="page")
    return page


def page_of(query, pagination_parameters):
    """Run one page of a select; sets the item count for the X-Pagination header."""
    page = db.paginate(query, page=checked_page(pagination_parameters.page),
                       per_page=pagination_parameters.page_size, max_per_page=1000, error_out=False)
    pagination_parameters.item_count = page.total
    return page.items


def web_page_number(value) -> int:
    """A page number from a query string, clamped to 1..MAX_PAGE (pages never fail on it)."""
    return min(max(value or 1, 1), MAX_PAGE)
