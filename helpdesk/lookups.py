"""`__in` on an integer column with a number no such column holds (a 20-digit id).

Django answers `pk=99999999999999999999` with no row on every backend (its exact, gt, lt… on
integer fields know the column's range), but not `pk__in=[…]`: SQLite's driver raised
OverflowError, a 500 for a form with a multiple choice of ids (a support group's members) or
the admin's bulk actions. Such a value can match no row, so it is left out of the list, as
PostgreSQL would find nothing for it.
"""

from typing import Any

from django.db.models import IntegerField
from django.db.models.lookups import In


class IntegerFieldIn(In):
    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(
                self.lhs.output_field.get_internal_type()
            )
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int)
                or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)


def register() -> None:
    IntegerField.register_lookup(IntegerFieldIn)
