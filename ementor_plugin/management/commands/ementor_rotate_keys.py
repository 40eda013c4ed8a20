"""Re-encrypt eMentor's free text with the first of ``EMENTOR_FERNET_KEYS`` (key rotation).

Rotation, step by step:

1. Put the new key first: ``EMENTOR_FERNET_KEYS = [new, old]`` (every listed key still decrypts).
2. ``manage.py ementor_rotate_keys``: every encrypted value not yet under the new key is re-encrypted.
3. ``manage.py ementor_rotate_keys --check`` with only ``[new]`` configured proves nothing needs the old key;
   then drop it for good.

The command reads and writes the stored tokens directly (no model ``save``), so timestamps such as
``modified`` do not change and no signal fires; values already under the first key are left untouched,
which makes the command safe to re-run after an interruption. It works in batches, one transaction each.
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from ementor_plugin.fields import EncryptedJSONField, EncryptedTextField, key_ring, primary_key_fernet


def _encrypted_columns():
    """(model, column) for every encrypted field of eMentor's models."""
    for model in apps.get_app_config("ementor_plugin").get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField | EncryptedJSONField):
                yield model, field.column


class Command(BaseCommand):
    """Re-encrypt every encrypted value with the current first key."""

    help = "Re-encrypt eMentor's encrypted text with the first key of EMENTOR_FERNET_KEYS (key rotation)."

    def add_arguments(self, parser):
        """Options: batch size, dry run, check only."""
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; change nothing.")
        parser.add_argument(
            "--check", action="store_true", help="Only verify that every value decrypts with the current keys."
        )

    def handle(self, *args, **options):
        """Walk every encrypted column in primary-key order and rotate what the first key did not write."""
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        primary, every = primary_key_fernet(), key_ring()
        write = not (options["dry_run"] or options["check"])
        totals = {"current": 0, "rotated": 0, "unreadable": 0}
        for model, column in _encrypted_columns():
            counts = self._rotate_column(
                model, column, primary, every, batch_size=options["batch_size"], write=write
            )
            for name, value in counts.items():
                totals[name] += value
            self.stdout.write(
                f"{model._meta.label}.{column}: {counts['current']} current, {counts['rotated']} "
                f"{'rotated' if write else 'to rotate'}, {counts['unreadable']} unreadable"
            )
        self.stdout.write(
            f"Total: {totals['current']} current, {totals['rotated']} {'rotated' if write else 'to rotate'}, "
            f"{totals['unreadable']} unreadable"
        )
        if totals["unreadable"]:
            raise CommandError(
                f"{totals['unreadable']} values cannot be decrypted with any configured key; add the key they "
                "were written with to EMENTOR_FERNET_KEYS and run again."
            )
        if options["check"] and totals["rotated"]:
            raise CommandError(f"{totals['rotated']} values are not yet under the first key; run the rotation.")

    @staticmethod
    def _rotate_column(model, column, primary, every, *, batch_size, write):
        table = connection.ops.quote_name(model._meta.db_table)
        pk = connection.ops.quote_name(model._meta.pk.column)
        col = connection.ops.quote_name(column)
        counts = {"current": 0, "rotated": 0, "unreadable": 0}
        last = None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                # Keyset pagination: stable and cheap however large the table is.
                where = f"WHERE {col} IS NOT NULL" + ("" if last is None else f" AND {pk} > %s")
                # (Empty text is stored as empty bytes, unencrypted: counted as current below.)
                cursor.execute(
                    f"SELECT {pk}, {col} FROM {table} {where} ORDER BY {pk} LIMIT {int(batch_size)}",  # noqa: S608
                    [] if last is None else [last],
                )
                rows = cursor.fetchall()
                for row_pk, value in rows:
                    token = bytes(value)
                    if not token:
                        counts["current"] += 1
                        continue
                    try:
                        primary.decrypt(token)
                        counts["current"] += 1
                        continue
                    except InvalidToken:
                        pass
                    try:
                        rotated = every.rotate(token)
                    except InvalidToken:
                        counts["unreadable"] += 1
                        continue
                    counts["rotated"] += 1
                    if write:
                        cursor.execute(
                            f"UPDATE {table} SET {col} = %s WHERE {pk} = %s",  # noqa: S608
                            [connection.Database.Binary(rotated), row_pk],
                        )
            if len(rows) < batch_size:
                return counts
            last = rows[-1][0]
