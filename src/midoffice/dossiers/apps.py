from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "midoffice.dossiers"
    label = "dossiers"
    verbose_name = "Dossiers"

    def ready(self) -> None:
        # Registers the periodic deadline scan and digest with core.schedule.
        from midoffice.dossiers import tasks  # noqa: F401
        from midoffice.parties import hooks as party_hooks

        # A contact's search document follows its name and contact points.
        if _index_party not in party_hooks.on_changed:
            party_hooks.on_changed.append(_index_party)


def _index_party(party_id: int) -> None:
    from midoffice.dossiers.search import search_index_party

    search_index_party(party_id=party_id)
