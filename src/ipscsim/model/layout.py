"""Layout of the model's arrays: state variables, parameters and inputs, by position.

Both engines and the numpy reference index arrays through these constants, so the names below are the
one place where a position is defined. The numba kernels freeze these values when they compile (and in
their on-disk cache): whenever this file changes, :data:`LAYOUT_HASH` changes and the kernel modules refuse
to load until their ``EXPECTED_LAYOUT_HASH`` literal is updated, which also invalidates their cache.

State of one run (all counts in units of the cells seeded at day 0):

* ``K`` cohorts (cells of one heterogeneity class), each with :data:`GENES` (gene-network levels and the
  cohort's progenitor count) stored at ``k * N_GENES + g``;
* then :data:`GLOBALS` (neurons by class, dissociation stress, bookkeeping) at ``K * N_GENES + i``.
"""

from __future__ import annotations

import zlib

from ..protocols.compounds import PATHWAYS

# ---------------------------------------------------------------------------- per-cohort state
GENES: tuple[str, ...] = (
    "OCT4",  # pluripotency module (OCT4/SOX2/NANOG lumped)
    "NEURAL",  # neural induction (early neuroectoderm programme)
    "OFFTARGET",  # non-neural ectoderm / mesendoderm programme
    "MATURATION",  # definitive neuroectoderm (SOX1+); closes the caudalisation window
    "HOX",  # caudal (spinal) identity
    "PAX6",  # PONI network (Cohen et al. 2014) ...
    "OLIG2",
    "NKX2_2",
    "IRX3",
    "NKX6_1",  # class II gene induced at low GLI
    "HES",  # Notch activity
    "NGN2",  # proneural factor = Delta source
    "TRANSGENE",  # induced NGN2-ISL1-LHX3 cassette
    "PROGRAMME",  # motor neuron programme engaged by the induced factors
    "GLI",  # GLI activator activity (follows the Smoothened input with a lag)
    "PROGENITORS",  # number of dividing (non-neuronal) cells in the cohort
)
N_GENES = len(GENES)
(
    G_OCT4,
    G_NEURAL,
    G_OFF,
    G_MAT,
    G_HOX,
    G_PAX6,
    G_OLIG2,
    G_NKX22,
    G_IRX3,
    G_NKX61,
    G_HES,
    G_NGN2,
    G_TG,
    G_PRG,
    G_GLI,
    G_PROG,
) = range(N_GENES)

# ---------------------------------------------------------------------------- global state
GLOBALS: tuple[str, ...] = (
    "MN",  # motor neurons, CHAT-, HOX+
    "MN_CHAT",  # motor neurons, CHAT+, HOX+
    "V3",  # V3 interneurons (from p3)
    "V2",  # V2 / dorsal interneurons (from p2)
    "ROSTRAL_NEURON",  # forebrain-type neurons (from HOX- progenitors)
    "MN_HOXNEG",  # motor neurons made by programming from HOX- cells, CHAT-
    "MN_CHAT_HOXNEG",  # ... CHAT+
    "STRESS",  # dissociation stress (1 right after dissociation)
    "LINEAGE",  # cells of the original culture that one cell in the vessel stands for
    "CUM_DIVISIONS",  # cumulative cells born by division
    "CUM_DEATHS",  # cumulative cells dead
    "CUM_REPLATED",  # cumulative cells added (+) or removed (-) by replating
)
N_GLOBALS = len(GLOBALS)
(
    X_MN,
    X_MN_CHAT,
    X_V3,
    X_V2,
    X_RN,
    X_MN_HN,
    X_MN_CHAT_HN,
    X_STRESS,
    X_LINEAGE,
    X_CUM_DIV,
    X_CUM_DEATH,
    X_CUM_REPLATED,
) = range(N_GLOBALS)
#: Global state entries that count cells (neurons).
NEURON_GLOBALS = (X_MN, X_MN_CHAT, X_V3, X_V2, X_RN, X_MN_HN, X_MN_CHAT_HN)
#: Names of the agent-based engine's cell ``kind`` codes: 0 a progenitor, then the neuron classes of
#: :data:`NEURON_GLOBALS` in order (1-based).
KIND_NAMES: tuple[str, ...] = (
    "progenitor",
    "MN",
    "MN_CHAT",
    "V3",
    "V2",
    "rostral_neuron",
    "MN_hox_negative",
    "MN_CHAT_hox_negative",
)


def n_state(n_cohorts: int) -> int:
    """Length of the state vector of one run."""
    return n_cohorts * N_GENES + N_GLOBALS


# ---------------------------------------------------------------------------- parameters
#: Model parameters in array order. ``model/data/parameters.csv`` holds one row per name (any order).
PARAM_NAMES: tuple[str, ...] = (
    "sigma_sensitivity",
    "sigma_tempo",
    "tgf_autocrine",
    "tgf_autocrine_offtarget",
    "bmp_endogenous",
    "aggregate_shielding",
    "fgf_endogenous",
    "wnt_basal",
    "density_ref",
    "hill_wnt",
    "k_oct4",
    "K_oct4",
    "fgf_share_pluripotency",
    "K_ne_oct4",
    "K_off_oct4",
    "K_bmp_oct4",
    "K_ra_oct4",
    "k_neural",
    "K_neural",
    "eps_neural",
    "ra_neural",
    "K_tgf_neural",
    "K_bmp_neural",
    "K_oct4_neural",
    "K_off_neural",
    "k_offtarget",
    "eps_offtarget",
    "K_offtarget",
    "w_tgf_offtarget",
    "K_oct4_offtarget",
    "K_neural_offtarget",
    "k_maturation",
    "maturation_seed",
    "k_hox",
    "fgf_wnt_hox",
    "lambda_poni",
    "K_Pol_Pax",
    "K_Pol_Oli",
    "K_Pol_Nkx",
    "K_Pol_Irx",
    "K_Gli_Oli",
    "K_Gli_Nkx",
    "K_Oli_Pax",
    "K_Nkx_Pax",
    "K_Oli_Nkx",
    "K_Nkx_Oli",
    "K_Pax_Nkx",
    "K_Irx_Oli",
    "K_Oli_Irx",
    "K_Irx_Nkx",
    "K_Nkx_Irx",
    "poni_alpha",
    "poni_delta",
    "poni_fA",
    "poni_CPol",
    "K_Pol_Nkx6",
    "K_Gli_Nkx6",
    "k_gli",
    "k_hes",
    "k_ngn2",
    "collier_a",
    "collier_b",
    "ngn2_basal",
    "ngn2_olig2",
    "ngn2_ra",
    "K_fgf_ngn2",
    "K_wnt_ngn2",
    "K_oct4_ngn2",
    "k_neurogenesis",
    "K_neurogenesis",
    "k_transgene",
    "k_programme",
    "k_programming",
    "K_transgene",
    "mn_fraction_programmed",
    "gate_threshold",
    "sigma_measurement",
    "sigma_fate",
    "cycle_psc",
    "cycle_np",
    "cycle_offtarget",
    "mitogen_boost",
    "death_psc",
    "death_np",
    "death_neuron",
    "trophic_efficacy",
    "chat_rate",
    "capacity_adherent",
    "capacity_suspension",
    "dissociation_survival",
    "rock_efficacy",
    "stress_recovery",
    "neuron_dissociation_factor",
    # agent-based engine only (the ODE engine does not read these)
    "abm_noise",
    "partition_noise",
    "cycle_shape",
    "cell_diameter",
    "contact_range",
    "paracrine_length",
)
N_PARAMS = len(PARAM_NAMES)
PARAM_INDEX: dict[str, int] = {name: i for i, name in enumerate(PARAM_NAMES)}
# One constant per parameter for the kernels (tests check they match PARAM_NAMES).
P_sigma_sensitivity = 0
P_sigma_tempo = 1
P_tgf_autocrine = 2
P_tgf_autocrine_offtarget = 3
P_bmp_endogenous = 4
P_aggregate_shielding = 5
P_fgf_endogenous = 6
P_wnt_basal = 7
P_density_ref = 8
P_hill_wnt = 9
P_k_oct4 = 10
P_K_oct4 = 11
P_fgf_share_pluripotency = 12
P_K_ne_oct4 = 13
P_K_off_oct4 = 14
P_K_bmp_oct4 = 15
P_K_ra_oct4 = 16
P_k_neural = 17
P_K_neural = 18
P_eps_neural = 19
P_ra_neural = 20
P_K_tgf_neural = 21
P_K_bmp_neural = 22
P_K_oct4_neural = 23
P_K_off_neural = 24
P_k_offtarget = 25
P_eps_offtarget = 26
P_K_offtarget = 27
P_w_tgf_offtarget = 28
P_K_oct4_offtarget = 29
P_K_neural_offtarget = 30
P_k_maturation = 31
P_maturation_seed = 32
P_k_hox = 33
P_fgf_wnt_hox = 34
P_lambda_poni = 35
P_K_Pol_Pax = 36
P_K_Pol_Oli = 37
P_K_Pol_Nkx = 38
P_K_Pol_Irx = 39
P_K_Gli_Oli = 40
P_K_Gli_Nkx = 41
P_K_Oli_Pax = 42
P_K_Nkx_Pax = 43
P_K_Oli_Nkx = 44
P_K_Nkx_Oli = 45
P_K_Pax_Nkx = 46
P_K_Irx_Oli = 47
P_K_Oli_Irx = 48
P_K_Irx_Nkx = 49
P_K_Nkx_Irx = 50
P_poni_alpha = 51
P_poni_delta = 52
P_poni_fA = 53
P_poni_CPol = 54
P_K_Pol_Nkx6 = 55
P_K_Gli_Nkx6 = 56
P_k_gli = 57
P_k_hes = 58
P_k_ngn2 = 59
P_collier_a = 60
P_collier_b = 61
P_ngn2_basal = 62
P_ngn2_olig2 = 63
P_ngn2_ra = 64
P_K_fgf_ngn2 = 65
P_K_wnt_ngn2 = 66
P_K_oct4_ngn2 = 67
P_k_neurogenesis = 68
P_K_neurogenesis = 69
P_k_transgene = 70
P_k_programme = 71
P_k_programming = 72
P_K_transgene = 73
P_mn_fraction_programmed = 74
P_gate_threshold = 75
P_sigma_measurement = 76
P_sigma_fate = 77
P_cycle_psc = 78
P_cycle_np = 79
P_cycle_offtarget = 80
P_mitogen_boost = 81
P_death_psc = 82
P_death_np = 83
P_death_neuron = 84
P_trophic_efficacy = 85
P_chat_rate = 86
P_capacity_adherent = 87
P_capacity_suspension = 88
P_dissociation_survival = 89
P_rock_efficacy = 90
P_stress_recovery = 91
P_neuron_dissociation_factor = 92
P_abm_noise = 93
P_partition_noise = 94
P_cycle_shape = 95
P_cell_diameter = 96
P_contact_range = 97
P_paracrine_length = 98

# ---------------------------------------------------------------------------- inputs of a segment
#: Scalars at the head of a segment's input vector; compound concentrations follow from U_CONC.
U_T_CHANGE = 0  # day of the last media change (concentrations were nominal then)
U_FORMAT = 1  # 0 adherent, 1 suspension
U_N0 = 2  # cells seeded at day 0 (the count unit)
U_AREA = 3  # culture surface, cm^2
U_MN_HAZARD = 4  # MN death hazard ratio of the genotype
U_CONC = 5
#: Columns of the compound table the kernels receive.
C_PATHWAY, C_MODE, C_POTENCY, C_EFFICACY, C_DECAY = range(5)
N_COMPOUND_COLUMNS = 5
#: Pathway indices (see :data:`ipscsim.protocols.compounds.PATHWAYS`).
(
    PW_TGFB,
    PW_BMP,
    PW_WNT,
    PW_FGF,
    PW_RA,
    PW_SHH,
    PW_NOTCH,
    PW_ROCK,
    PW_TRANSGENE,
    PW_TROPHIC,
) = range(len(PATHWAYS))
N_PATHWAYS = len(PATHWAYS)
MODE_AGONIST, MODE_INHIBITOR, MODE_ANTAGONIST = range(3)
#: Columns of the cohort table: heterogeneity draws (standard normal) and weight.
Z_SENS, Z_TEMPO, Z_WEIGHT = range(3)

#: Operation codes at a segment's start.
OP_NONE, OP_REPLATE, OP_AGGREGATE, OP_PLATE = range(4)

LAYOUT_HASH: int = zlib.crc32(
    repr((GENES, GLOBALS, PARAM_NAMES, PATHWAYS, U_CONC, N_COMPOUND_COLUMNS)).encode()
)
