"""An imported listing on a record linked to a curated firm reaches the engine through owl:sameAs."""

import csv

from graph.reasoning.exposure import exposures
from graph.readwrite.imports import add_import
from graph.store.load import load
from graph.store.names import resolve
from graph.reasoning.usage import usage_from_names

HEADER = ("_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,start_date,end_date,"
          "standard_order,license_requirement,license_policy,call_sign,vessel_type,gross_tonnage,"
          "gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,alt_names,citizenships,"
          "dates_of_birth,nationalities,places_of_birth,source_information_url,ids").split(",")


def test_a_usage_naming_the_curated_firm_sees_the_imported_listing(tmp_path):
    row = dict.fromkeys(HEADER, "")
    row.update({"_id": "inspur-test-1", "source": "Entity List (EL) - Bureau of Industry and Security",
                "type": "Entity", "name": "Inspur Group Co., Ltd.", "addresses": "Jinan, Shandong, CN",
                "federal_register_notice": "90 FR 14046, 3/28/25.", "start_date": "2025-03-25",
                "license_requirement": "For all items subject to the EAR.", "license_policy": "Presumption of denial."})
    path = tmp_path / "consolidated.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER)
        writer.writeheader()
        writer.writerow(row)
    curated = load(imports=False)
    before = exposures(curated, usage_from_names(curated, chip="H100", user="Inspur", as_of="2025-06-01"))
    assert not [e for e in before.exposures if e.restriction.endswith("entity-list-party")]

    add_import(path, curated)
    g = load()
    assert str(resolve(g, "Inspur", "party")).endswith("/firm/inspur")  # the link does not make the name ambiguous
    after = exposures(g, usage_from_names(g, chip="H100", user="Inspur", as_of="2025-06-01"))
    [e] = [e for e in after.exposures if e.restriction.endswith("entity-list-party")]
    assert e.party_label == "Inspur Group Co., Ltd." and "90 FR 14046" in e.explanation
    assert any(step.p.endswith("#sameAs") for step in e.path)
