"""Circuit cost report: rows, columns, degree and proof shape, without assigning values.

    from zkml_core.dev.cost import circuit_cost
    circuit_cost(my_circuit)   # {"rows": ..., "k": ..., "degree": ..., ...}
"""

from __future__ import annotations

from typing import Any

from zkml_core.plonk.circuit import configure, rows_needed
from zkml_core.plonk.permutation.argument import chunks
from zkml_core.plonk.protocol import opening_plan


def circuit_cost(circuit: Any) -> dict[str, Any]:
    """Shape of ``circuit``'s proof: the smallest k, and what a proof commits and opens."""
    cs, _ = configure(circuit)
    rows, k = rows_needed(circuit)
    groups = cs.lookup_groups()
    helpers = sum(len(g.batches) for g in groups)
    commitments = (
        len(cs.advice) + len(groups) + len(chunks(cs)) + helpers + len(groups)  # m, z, h, phi
        + 1 + cs.quotient_pieces()  # vanishing random polynomial, quotient pieces
    )
    return {
        "rows": rows,
        "k": k,
        "usable_rows": cs.usable_rows(k),
        "blinding_factors": cs.blinding_factors(),
        "degree": cs.degree(),
        "advice_columns": len(cs.advice),
        "phases": cs.num_phases,
        "fixed_columns": len(cs.fixed),
        "selectors": len(cs.selectors),
        "table_columns": len(cs.tables),
        "instance_columns": len(cs.instance),
        "equality_columns": len(cs.equality),
        "gates": sum(len(g.constraints) for g in cs.gates),
        "lookups": len(cs.lookups),
        "lookup_tables": len(groups),
        "lookup_helpers": helpers,
        "permutation_products": len(chunks(cs)),
        "quotient_pieces": cs.quotient_pieces(),
        "extended_domain_k": k + cs.extended_k_extra(),
        "proof_commitments": commitments,
        "proof_evaluations": len(opening_plan(cs)),
    }
