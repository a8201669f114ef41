"""One way to page a select for flask-smorest's @paginate()."""
from .extensions import db


def page_of(query, pagination_parameters):
    """Run one page of a select; sets the item count for the X-Pagination header."""
    page = db.paginate(query, page=pagination_parameters.page,
                       per_page=pagination_parameters.page_size, max_per_page=1000, error_out=False)
    pagination_parameters.item_count = page.total
    return page.items
