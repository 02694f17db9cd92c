from ledger.service.application import Ledger


def test_open_project_and_read_it_back(ledger: Ledger) -> None:
    recorded = ledger.open_project(
        "pm@acme.test", name="Website", client_org="Client Co", team_org="Acme"
    )
    project = ledger.get_project(recorded.id)
    assert project.name == "Website"
    assert set(project.members) == {"pm@acme.test"}
