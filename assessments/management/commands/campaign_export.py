from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments import backup


class Command(BaseCommand):
    help = (
        "Export whole campaigns (data, history, permissions and evidence files, with "
        "SHA-256 checksums) to a zip archive that campaign_restore reads. The archive "
        "holds personal data and password hashes: keep it as safe as the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaigns", nargs="+", help="campaign id (or exact name)")
        parser.add_argument("--output", "-o", type=Path, required=True, help="the .zip to write")
        parser.add_argument(
            "--no-passwords",
            action="store_true",
            help="write unusable passwords instead of the hashes (people set new ones)",
        )
        parser.add_argument(
            "--force", action="store_true", help="replace the output file if it exists"
        )

    def handle(self, *args, campaigns, output, no_passwords, force, **options):
        if not output.parent.is_dir():
            raise CommandError(f"{output.parent} is not a folder.")
        if output.exists() and not force:
            raise CommandError(f"{output} exists; use --force to replace it.")
        try:
            found = [backup.find_campaign(ref) for ref in campaigns]
            result = backup.export_campaigns(found, output, include_passwords=not no_passwords)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        for campaign in manifest["campaigns"]:
            self.stdout.write(f"Campaign {campaign['id']}: {campaign['name']} ({campaign['year']})")
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            f"{rows} rows in {len(manifest['counts'])} tables, {manifest['files']} evidence files"
            + (
                f" ({len(manifest['missing_files'])} files of removed evidence were gone)"
                if manifest["missing_files"]
                else ""
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {result.path} ({result.size:,} bytes) in {result.seconds:.1f} s"
            )
        )
        self.stdout.write(f"SHA-256 {result.sha256}")
