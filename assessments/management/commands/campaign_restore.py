from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments import backup


class Command(BaseCommand):
    help = (
        "Restore a campaign archive made by campaign_export into an empty database (just "
        "migrated). Every member's SHA-256 is checked before anything is written; the rows "
        "are written in one transaction and the evidence files to the private storage."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--verify-only",
            action="store_true",
            help="check the archive (checksums, tables) and write nothing",
        )
        parser.add_argument(
            "--sha256", help="the archive's SHA-256 as campaign_export printed it, to compare"
        )

    def handle(self, *args, archive, verify_only, sha256, **options):
        if not archive.is_file():
            raise CommandError(f"{archive} is not a file.")
        try:
            result = backup.restore_archive(
                archive, verify_only=verify_only, expected_sha256=sha256
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        for campaign in result.campaigns:
            self.stdout.write(f"Campaign {campaign['id']}: {campaign['name']} ({campaign['year']})")
        rows = sum(result.counts.values())
        summary = f"{rows} rows in {len(result.counts)} tables, {result.files} evidence files"
        if verify_only:
            self.stdout.write(self.style.SUCCESS(f"The archive is intact: {summary}."))
            return
        if result.created_groups:
            self.stdout.write("Groups created: " + ", ".join(result.created_groups))
        self.stdout.write(self.style.SUCCESS(f"Restored {summary} in {result.seconds:.1f} s."))
