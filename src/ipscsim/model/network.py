r"""The biology, written once: the cell's gene network, its signals, fates and population, as equations.

Every engine runs these equations; nothing else states them. The text is the equation language of
:mod:`ipscsim.model.expr` (``target = expression  # meaning``). :func:`network` parses and checks it;
:mod:`ipscsim.model.codegen` writes the compiled kernels from it (``engines/network.py``), the numpy
reference (:mod:`ipscsim.model.reference`) evaluates it and the SBML export translates it. docs/model.md
explains it equation by equation, with the parameters and sources (``model/data/parameters.csv``).

Sections, in the order a right-hand-side evaluation runs them:

* ``DERIVED``: functions of the parameters only, computed once per run;
* ``MEDIUM`` (per evaluation, once for the culture): what the medium alone sets, read by ``EMIT`` and
  ``SHARED`` (the SBML export writes it once; the kernels inline it where it is read);
* ``EMIT`` (per cohort, or per cell): what a cell contributes to the population's own signals
  (Nodal, BMP, Delta), summed by the engine over the culture (ODE) or over neighbours (agent-based);
* ``SHARED`` (per evaluation; per cell in the agent-based engine): the signals every cell there sees,
  from the medium (pathway inputs ``A_q``, ``F_q``, ``Z_q``), the endogenous inputs and the culture;
* ``CELL`` (per cohort, or per cell): the gene network (``d.GENE``), the cell's event rates (``rate.*``)
  and the identity of a neuron it would make (``fate.*`` patterned, ``prog.*`` programmed), identical
  in both engines;
* ``COHORT`` (ODE engine): progenitor and neuron counts of a cohort, and each neuron class's summed birth
  level (the agent-based engine draws the same events per cell; its neurons keep their birth level);
* ``GLOBAL`` (ODE engine): dissociation stress and the books (cumulative divisions and deaths).

The engine's endogenous inputs to ``SHARED`` are listed, with their meaning, at :data:`ENV`. Which cells
express the cassette is cell state, not an input: the constant genes ``VEC_NGN2`` and ``VEC_IL`` (0 or
1), set at seeding from the protocol's delivery (:func:`ipscsim.model.cohorts.cassette_mosaic`), inherited.
"""

from __future__ import annotations

from functools import lru_cache

from .expr import Network, parse_block

__all__ = [
    "CELL",
    "CELL_TYPES",
    "COHORT",
    "COHORT_STATES",
    "COUNTS",
    "DERIVED",
    "EMIT",
    "ENV",
    "FATES",
    "GENES",
    "GLOBAL",
    "GLOBALS",
    "LEVEL_MASSES",
    "MARKERS",
    "MEDIUM",
    "NEURON",
    "NEURON_CLASSES",
    "NEURON_TYPE",
    "NOISE_FIXED",
    "NOISE_RATES",
    "PROGENITOR_TYPES",
    "READOUT",
    "SHARED",
    "Network",
    "network",
]

#: Gene-network state of a cell (per cohort in the ODE engine), in storage order.
GENES: tuple[str, ...] = (
    "OCT4",  # pluripotency (OCT4/SOX2/NANOG lumped)
    "NEURAL",  # neural programme (SOX2/PAX6 neuroectoderm)
    "NNE",  # non-neural ectoderm (TFAP2A/GATA3)
    "NC",  # neural crest (SOX10/p75)
    "PNB",  # pre-neural border: early WNT targets that keep the crest route open (Leung et al. 2016)
    "ME",  # mesendoderm (T/MIXL1/SOX17)
    "NMP",  # neuromesodermal progenitor state (SOX2+T+)
    "SOX1",  # definitive neuroectoderm marker
    "CLOCK",  # neural age (days, with the tempo): closes competence windows
    "LEVEL",  # rostro-caudal level (0 forebrain ... 11 lumbar), a ratchet
    "PTCH1",  # SHH receptor induced by GLI: negative feedback (adaptation)
    "GLI",  # GLI activator activity
    "GLI3",  # GLI3 (repressor) made by neural cells; early RA keeps it off (Calder et al. 2015)
    "FOXA2",  # floor plate
    "PAX6",  # PONI network (Cohen et al. 2014) ...
    "OLIG2",
    "NKX2_2",
    "IRX3",
    "NKX6_1",  # class II gene induced by GLI
    "HES",  # Notch target
    "NGN2",  # proneural factor (Delta source)
    "GLIAL",  # gliogenic switch (NFIA)
    "OLIGO",  # oligodendroglial maturation of OLIG2+ glia (SOX10, PDGFRA, then O4)
    "QUIES",  # share of the cohort's progenitors that are quiescent
    "TRANSGENE",  # induced cassette
    "PROGRAMME",  # engaged programming
    "VEC_NGN2",  # the cell expresses the cassette's NGN2 (1) or not (0): constant, set at seeding
    "VEC_IL",  # ... its ISL1 and LHX3 (an NGN2-ISL1-LHX3 cassette delivered as separate vectors)
)

#: Neuron classes, in storage order (the agent-based ``kind`` codes are these, 1-based).
NEURON_CLASSES: tuple[str, ...] = (
    "MMC",  # motor neuron, medial column (LHX3+), CHAT-
    "MMC_CHAT",  # ... CHAT+
    "LMC",  # motor neuron, lateral column (FOXP1+), CHAT-
    "LMC_CHAT",  # ... CHAT+
    "V3",  # V3 interneurons (from p3)
    "VIN",  # V1/V2 interneurons (from p2/p1)
    "DIN",  # dorsal interneurons
    "RN",  # rostral neurons (fore-, mid-brain and anterior hindbrain)
    "IN",  # glutamatergic neurons of NGN2-only programming
)

#: Counts per cohort (ODE engine): progenitors, then the neuron classes.
COUNTS: tuple[str, ...] = ("PROG", *NEURON_CLASSES)

#: Level masses per cohort (ODE engine), after the counts: ``LV_<class>`` is the sum, over the
#: class's neurons, of the rostro-caudal level each was born at (its count times its mean birth
#: level). A neuron keeps the level it was born at (an agent-based neuron keeps its genes), so its
#: HOX and OTX2 markers read that level, not its cohort's progenitors' current one.
LEVEL_MASSES: tuple[str, ...] = tuple(f"LV_{c}" for c in NEURON_CLASSES)
#: A cohort's states after its genes (ODE engine), in storage order: the counts, then the masses.
COHORT_STATES: tuple[str, ...] = (*COUNTS, *LEVEL_MASSES)

#: Global state of a run.
GLOBALS: tuple[str, ...] = ("STRESS", "LINEAGE", "CUM_DIV", "CUM_DEATH", "CUM_REPLATED")

#: Identities a newborn neuron can take (``fate.*`` and ``prog.*`` of ``CELL``).
FATES: tuple[str, ...] = ("MMC", "LMC", "V3", "VIN", "DIN", "RN", "IN")

#: Cell types a culture is scored into (exclusive: fractions sum to 1), progenitor types first.
PROGENITOR_TYPES: tuple[str, ...] = (
    "iPSC",
    "NMP",
    "mesendoderm",
    "neural_crest",
    "non_neural_ectoderm",
    "neuroectoderm",
    "rostral_progenitor",
    "floor_plate",
    "pMN",
    "p3",
    "p2",
    "OPC",
    "astrocyte",
)
#: The cell type of each neuron class.
NEURON_TYPE: dict[str, str] = {
    "MMC": "MN",
    "MMC_CHAT": "MN",
    "LMC": "MN",
    "LMC_CHAT": "MN",
    "V3": "interneuron",
    "VIN": "interneuron",
    "DIN": "interneuron",
    "RN": "rostral_neuron",
    "IN": "glutamatergic_neuron",
}
CELL_TYPES: tuple[str, ...] = (*PROGENITOR_TYPES, *dict.fromkeys(NEURON_TYPE.values()))
#: Markers read out (fraction of live cells positive); in the equations a dot is written ``_``.
# fmt: off
MARKERS: tuple[str, ...] = (
    "OCT4", "PAX6", "SOX1", "HOX", "OLIG2", "NKX2.2", "IRX3", "NKX6.1", "ISL1", "MNX1", "CHAT",
    "SOX2", "T", "SOX17", "SOX10", "TFAP2A", "FOXA2", "OTX2", "EN1", "HOXB4", "HOXC6", "HOXC8",
    "HOXC9", "HOXC10", "FOXP1", "LHX3", "PDGFRA", "O4", "NFIA", "TUBB3",
)
# fmt: on

#: The agent-based engine's gene-expression noise: each gene's relaxation rate (1/day, before the
#: tempo factor), which scales its noise; an expression of the parameters. ``CLOCK`` (a clock) is
#: noiseless; the cassette's genes do not follow the cell's tempo (``NOISE_FIXED``).
NOISE_RATES: dict[str, str] = {
    "OCT4": "k_oct4",
    "NEURAL": "k_neural",
    "NNE": "k_fate",
    "NC": "k_fate",
    "PNB": "k_pnb",
    "ME": "k_fate",
    "NMP": "k_nmp",
    "SOX1": "k_sox1",
    "CLOCK": "0",
    "LEVEL": "k_level",
    "PTCH1": "k_ptch",
    "GLI": "lambda_poni * k_gli",
    "GLI3": "k_gli3",
    "FOXA2": "k_fp",
    "PAX6": "lambda_poni * poni_delta",
    "OLIG2": "lambda_poni * poni_delta",
    "NKX2_2": "lambda_poni * poni_delta",
    "IRX3": "lambda_poni * poni_delta",
    "NKX6_1": "lambda_poni * poni_delta",
    "HES": "k_hes",
    "NGN2": "k_ngn2",
    "GLIAL": "k_glial",
    "OLIGO": "k_oligo",
    "QUIES": "k_quies",
    "TRANSGENE": "k_transgene",
    "PROGRAMME": "k_programme",
    "VEC_NGN2": "0",
    "VEC_IL": "0",
}
NOISE_FIXED: tuple[str, ...] = ("TRANSGENE", "PROGRAMME")

#: Inputs the engine gives ``SHARED`` besides the pathway inputs.
ENV: tuple[str, ...] = (
    "nodal_src",  # the culture's Nodal source per cell (from EMIT)
    "bmp_src",  # ... and its BMP source
    "delta",  # mean Delta of the progenitors around
    "occ",  # occupancy of the vessel
    "density",  # cells per cm2
    "fmt",  # 1 in suspension aggregates
    "agg",  # cells per aggregate
    "stress",  # dissociation stress
    "mn_hazard",  # genotype's MN death hazard ratio: of the death trophic support cannot prevent
    "cassette_nil",  # the line carries an NGN2-ISL1-LHX3 cassette (0 or 1)
    "cassette_ngn2",  # ... an NGN2-only cassette
    "mn_deprivation",  # genotype's MN death hazard ratio: of the death that follows its lack
)

DERIVED = """
mu_diss     = stress_recovery * log(1 / dissociation_survival)  # dissociation hazard at stress 1 (1/day)
div_psc     = 16.6355 / cycle_psc      # ln 2 * 24 h / cycle: pluripotent division rate (1/day)
div_np      = 16.6355 / cycle_np       # neural progenitors
div_off     = 16.6355 / cycle_offtarget  # non-neural and mesendoderm cells
div_glial   = 16.6355 / cycle_glial    # glial progenitors
sup0        = 1 + K_oct4 * K_oct4      # pluripotency self-activation normalisation
kn1         = 1 + K_neural * K_neural  # ... of each programme
kx1         = 1 + K_fate * K_fate
kfp1        = 1 + K_fp * K_fp
kgl1        = 1 + K_glial * K_glial
kg3         = 1 + K_gli3 * K_gli3
ks1         = 1 + K_sox1_poni * K_sox1_poni  # ... and of the patterning genes' SOX1 gate (1 at SOX1 = 1)
o4_gate     = max(o4_level, gate_threshold)  # O4 is read after SOX10 and PDGFRA, never before
"""

MEDIUM = """
wnt_lig_m   = (A_WNT + wnt_basal) / Z_WNT                  # the median cell's WNT ligand input
erk         = F_FGF * sat((A_FGF + fgf_endogenous) / Z_FGF)  # FGF/ERK activity
wnt_on      = F_WNT * hill2(wnt_lig_m + A_GSK3, 1) + (1 - tnks_gsk3) * (1 - F_WNT) * hill2(A_GSK3, 1)
              # ... and the WNT activity it gives with GSK3 inhibition (as s_w below, at phi = 1)
bmp_wnt_m   = bmp_wnt * rep2(erk, K_fgf_bmp)               # ectoderm's BMP4 at full WNT (FGF opposes)
"""

EMIT = """
emit.nodal  = pos(OCT4) + w_nodal_me * pos(ME) + w_nodal_nmp * pos(NMP)  # Nodal/GDF3 of epiblast-like cells
ecto        = rep2(OCT4, K_oct4_fate) * rep2(NEURAL, K_neural_fate) * rep2(pos(NMP), K_fate_fate)
              * rep2(ME, K_fate_fate)                      # ectoderm that left pluripotency, not yet neural
emit.bmp    = pos(NNE) + w_bmp_me * pos(ME) + bmp_wnt_m * max(wnt_on, pos(PNB)) * ecto  # BMP4 of
              # non-neural ectoderm, mesoderm, and early ectoderm under WNT or in the border state WNT set
emit.delta  = pos(NGN2)                                    # Delta follows the proneural factor
"""

SHARED = """
shield      = 1 + fmt * (aggregate_shielding - 1)          # aggregates hold endogenous signals back
lt          = (A_TGFB + shield * tgf_autocrine * density / density_ref * nodal_src) / Z_TGFB
s_t         = F_TGFB * sat(lt)                              # SMAD2/3 activity
s_de        = w_de * hill8(s_t, K_tgf_de) * rep2(F_IGF1R * sat(A_IGF1R / Z_IGF1R), K_pi3k_de)  # to endoderm
surface     = min(1, 4.836 * exp(-log(agg) / 3))                # share of an aggregate's cells at its surface
edge_adh    = 1 / (1 + density / edge_density)             # share of cells at colony edges (monolayer)
edge        = edge_adh + fmt * (surface - edge_adh)        # ... or at an aggregate's surface
lb          = (A_BMP + shield * bmp_endogenous * bmp_src) / Z_BMP
s_bm        = F_BMP * sat(lb) * (edge + (1 - edge) * bmp_interior * shield)  # SMAD1/5/8 of the mean
              # cell: interior cells respond less, inside an aggregate less still (BMP binds the matrix)
s_f         = erk                                          # FGF/ERK activity (MEDIUM)
notch_in    = F_NOTCH * delta                               # Notch input from neighbours' Delta
dox         = sat(A_TRANSGENE)                              # TetOn induction
camp        = sat(A_CAMP)                                   # cAMP/PKA
hdaci       = 1 - F_HDAC                                    # share of HDAC activity inhibited
stat3       = sat(A_STAT3)                                  # gp130/STAT3
trophic     = 1 - (1 - trophic_share_ret * F_RET * sat(receptor_ret * A_RET / Z_RET))  # neurotrophic
              * (1 - trophic_share_trkb * F_TRKB * sat(receptor_trkb * A_TRKB / Z_TRKB))    # support of
              * (1 - trophic_share_gp130 * F_GP130 * sat(receptor_gp130 * A_GP130 / Z_GP130))  # neurons:
              * (1 - trophic_share_igf1r * F_IGF1R * sat(receptor_igf1r * A_IGF1R / Z_IGF1R))  # each
              # receptor saturates on its own and they act independently (GDNF, BDNF, CNTF, IGF-1)
cassette    = cassette_nil + cassette_ngn2               # the line carries an inducible cassette
growth      = pos(1 - occ)                                  # contact inhibition of division
haz         = mu_diss * stress * (1 - rock_efficacy * (1 - F_ROCK))  # dissociation hazard (1/day)
mu_n        = death_neuron * (1 - trophic_efficacy * trophic) * (1 - camp_survival * camp)
              + neuron_dissociation_factor * fragility_np * haz  # neuron death (1/day; dissociation: more)
mu_mn       = death_neuron * (mn_hazard * (1 - trophic_efficacy) + mn_deprivation * trophic_efficacy
              * (1 - trophic)) * (1 - camp_survival * camp)  # MN death (1/day); the genotype scales
              + neuron_dissociation_factor * fragility_np * haz  # unpreventable and withdrawal death apart
chat        = chat_rate * (1 + camp_maturation * camp)      # CHAT maturation of motor neurons (1/day)
hes_target  = notch_in * notch_in / (collier_a + notch_in * notch_in)
"""

CELL = """
lig         = (phi * A_WNT + wnt_basal) / Z_WNT              # WNT ligand input (receptor level)
gsk         = phi * A_GSK3                                  # GSK3 inhibition (CHIR99021), below Axin
s_w         = F_WNT * hill2(lig + gsk, 1) + (1 - tnks_gsk3) * (1 - F_WNT) * hill2(gsk, 1)  # WNT/beta-
              # catenin, Hill 2 in the input: a tankyrase inhibitor (Axin) scales the whole signal down,
              # except 1 - tnks_gsk3 of what GSK3 inhibition alone gives
s_ra        = F_RA * sat(phi * A_RA / Z_RA)                 # RAR activity
s_b         = s_bm * exp(bmp_sensitivity * log(phi) - 0.5 * (bmp_sensitivity * sigma_sensitivity) ** 2)
              # each cell's SMAD1/5/8: its gain (mean 1) follows its morphogen sensitivity, so BMP and its
              # inhibitors give graded mixtures of fates, not all-or-none
perm        = rep2(s_t, K_tgf_neural) * rep2(s_b, K_bmp_neural)  # SMAD-low permissiveness for neural fate
l_hh        = phi * A_SHH / Z_SHH                           # SHH protein, on Patched (upstream of Smo)
m_hh        = phi * A_SMO / Z_SMO                           # Smo-site agonists (SAG); F_SMO shifts them
s_hh        = F_SHH * F_SMO * (l_hh + m_hh) / (1 + l_hh + F_SMO * m_hh) / (1 + pka_shh * camp)  # Smo
nep         = clip01(NEURAL)
oth         = pos(NNE) + pos(NC) + pos(ME) + pos(NMP)       # other programmes
comp        = rep4(CLOCK, clock_window)                     # competence of young neural cells
d.OCT4      = theta * k_oct4 * (1 - hdac_oct4 * hdaci) * (sup0 * s_t * hill2(OCT4, K_oct4)
              * (1 - fgf_share_pluripotency + fgf_share_pluripotency * s_f) / (1 + (NEURAL / K_ne_oct4) ** 2
              + (oth / K_off_oct4) ** 2 + (s_b / K_bmp_oct4) ** 2 + (s_ra / K_ra_oct4) ** 2
              + (s_w / K_wnt_oct4) ** 2) - OCT4)  # HDAC inhibition slows the exit (Balmer et al. 2012)
drive_n     = perm + ra_neural * s_ra + nmp_neural * pos(NMP) * (1 - s_w)
d.NEURAL    = theta * k_neural * (kn1 * (eps_neural * drive_n + hill2(NEURAL, K_neural))
              * rep2(OCT4, K_oct4_neural) * rep2(NNE, K_fate_neural) * rep2(NC, K_fate_neural)
              * rep2(ME, K_fate_neural) * rep2(pos(NMP) * s_f, K_fate_neural) - NEURAL)
drive_nne   = hill2(s_b, K_bmp_nne) * rep2(s_w, K_wnt_nne) * rep2(s_t, K_tgf_nne)
d.NNE       = theta * k_fate * (kx1 * (eps_nne * drive_nne + hill2(NNE, K_fate)) * rep2(OCT4, K_oct4_fate)
              * rep2(NEURAL, K_neural_fate) * rep2(NC + PNB, K_fate_fate) * rep2(ME, K_fate_fate)
              * rep2(pos(NMP), K_fate_fate) - NNE)
crest_env   = hill2(s_b, K_bmp_nc) * rep2(s_t, K_tgf_nc)      # some BMP, little SMAD2/3 (crest, border)
drive_nc    = PNB * crest_env * rep2(s_b, K_bmp_nc_high)    # WNT acts through the border state
d.NC        = theta * k_fate * (kx1 * (eps_nc * drive_nc + hill2(NC, K_fate)) * rep2(OCT4, K_oct4_fate)
              * rep2(SOX1, K_sox1_nc) * rep2(NNE, K_fate_fate) * rep2(ME, K_fate_fate)
              * rep2(pos(NMP), K_fate_fate) - NC)
d.PNB       = theta * k_pnb * (kx1 * (eps_pnb * s_w * crest_env + hill2(PNB, K_fate))
              * rep2(NEURAL, K_neural_fate) * rep2(NNE, K_fate_fate) * rep2(ME, K_fate_fate)
              - PNB)  # pre-neural border (Leung et al. 2016): early WNT targets, set before the cells
              # commit, even with OCT4 on; a memory that keeps the crest route open after WNT ends
drive_me    = s_w * (s_t * hill2(OCT4, K_oct4_me) + w_bmp_mesoderm * s_b)   # primitive streak: epiblast only
              + s_de * hill2(OCT4, K_oct4_me)  # or near-maximal SMAD2/3 unopposed by PI3K (endoderm)
              + nmp_mesoderm * pos(NMP) * s_w * s_w * rep2(s_ra, K_ra_nmp)   # paraxial mesoderm from NMPs
d.ME        = theta * k_fate * (kx1 * (eps_me * drive_me + hill2(ME, K_fate)) * rep2(NEURAL, K_neural_fate)
              * rep2(NNE * hill2(OCT4, K_oct4_me), K_fate_fate) * rep2(NC, K_fate_fate) - ME)  # in epiblast
wf          = s_w * s_f
d.NMP       = theta * k_nmp * (hill2(wf, K_nmp) * rep2(s_t, K_tgf_nmp) * rep2(s_ra, K_ra_nmp)
              * rep2(s_b, K_bmp_nmp) * rep2(SOX1, K_sox1_nmp) * rep2(ME, K_fate_fate) * rep2(NC, K_fate_fate)
              - NMP)
d.SOX1      = theta * k_sox1 * nep * (sox1_seed + sox1_nmp * pos(NMP) + SOX1) * (1 - SOX1)  # NMP: SOX1 sooner
d.CLOCK     = theta * nep
h_ra        = hill(s_ra, K_ra_level)
lv_ra       = level_ra * h_ra
lv_w        = level_wnt * hill2(s_w, K_wnt_level)
lv_fgf      = level_fgf * hill4(s_f, K_fgf_level) * rep4(CLOCK, clock_fgf) * (1 - h_ra)
lv_target   = min(smax(lv_ra, lv_w, 0.5) + lv_fgf, level_stall)
d.LEVEL     = theta * (k_level * comp * max(1 - clip01(OCT4), nep + pos(NMP)) * pos(lv_target - LEVEL)
              + k_hox_clock * pos(NMP) * hill2(wf, K_nmp) * (rep2(LEVEL, level_stall) + gdf_boost * s_t))
s_eff       = s_hh / (1 + w_ptch * pos(PTCH1)) * rep2(s_b, K_bmp_shh)  # PTCH1: adaptation; BMP opposes
d.GLI       = theta * lambda_poni * k_gli * (s_eff * nep - GLI)
d.PTCH1     = theta * k_ptch * (GLI - PTCH1)
d.GLI3      = theta * k_gli3 * (eps_gli3 * perm * (1 - clip01(OCT4)) * rep2(s_ra, K_ra_gli3)
              * rep4(CLOCK, clock_gli3) * (1 - GLI3)
              + kg3 * hill2(GLI3, K_gli3) - GLI3)  # set at neural induction unless RA; then kept on or off
g           = clip01(GLI)
r3          = GLI3 * (1 - g)                               # GLI repressor: GLI3 not turned activator;
              # it holds the class II genes (OLIG2, NKX6.1) down, while NKX2.2 needs GLI activator either way
d.FOXA2     = theta * k_fp * (kfp1 * (eps_fp * hill4(g, K_gli_fp) * rep4(CLOCK, clock_fp)
              + hill2(FOXA2, K_fp)) * nep - FOXA2)
fprep       = rep2(FOXA2, K_fp_poni)
gp          = poni_CPol * fprep
pr_pax      = K_Pol_Pax * gp / ((1 + K_Oli_Pax * OLIG2) * (1 + K_Nkx_Pax * NKX2_2)) ** 2
late        = rep4(CLOCK, clock_preopc)                    # young cells keep OLIG2 and NKX2.2 apart; late,
              # SHH makes OLIG2+NKX2.2+ pre-OPCs: NKX2.2 stops repressing OLIG2 first (late squared)
pr_oli      = K_Pol_Oli * gp * (1 + poni_fA * K_Gli_Oli * g) / (1 + K_Gli_Oli * (g + r3))
              / ((1 + late * late * K_Nkx_Oli * NKX2_2) * (1 + K_Irx_Oli * IRX3)) ** 2
pr_nkx      = K_Pol_Nkx * gp * (1 + poni_fA * K_Gli_Nkx * g) / (1 + K_Gli_Nkx)
              / ((1 + K_Pax_Nkx * PAX6) * (1 + late * K_Oli_Nkx * OLIG2) * (1 + K_Irx_Nkx * IRX3)) ** 2
pr_irx      = K_Pol_Irx * gp / ((1 + K_Oli_Irx * OLIG2) * (1 + K_Nkx_Irx * NKX2_2)) ** 2
pr_nk6      = K_Pol_Nkx6 * gp * (1 + poni_fA * K_Gli_Nkx6 * g) / (1 + K_Gli_Nkx6 * (g + r3))
rp          = theta * lambda_poni
dne         = nep * ks1 * hill2(SOX1, K_sox1_poni)         # OLIG2, NKX2.2, IRX3 answer in definitive
              # (SOX1+) neuroepithelium; PAX6 and NKX6.1 before, in primitive neuroectoderm (Rayon 2020)
d.PAX6      = rp * (poni_alpha * nep * sat(pr_pax) - poni_delta * PAX6)
d.OLIG2     = rp * (poni_alpha * dne * sat(pr_oli) - poni_delta * OLIG2)
d.NKX2_2    = rp * (poni_alpha * dne * sat(pr_nkx) - poni_delta * NKX2_2)
d.IRX3      = rp * (poni_alpha * dne * sat(pr_irx) - poni_delta * IRX3)
d.NKX6_1    = rp * (poni_alpha * nep * sat(pr_nk6) - poni_delta * NKX6_1)
d.HES       = theta * k_hes * (hes_target - HES)
drive_ng    = pos(SOX1) * (ngn2_basal + ngn2_olig2 * OLIG2 + ngn2_ra * s_ra) * (1 + hdac_ngn2 * hdaci)
              * rep2(s_f, K_fgf_ngn2) * rep2(s_w, K_wnt_ngn2) * rep2(OCT4, K_oct4_ngn2)
              * rep2(GLIAL, K_glial_ngn2) * rep2(FOXA2, K_fp_ngn2) / (1 + collier_b * HES * HES)
d.NGN2      = theta * k_ngn2 * (drive_ng - NGN2)
d.GLIAL     = theta * k_glial * (kgl1 * (eps_glial * hill4(CLOCK, clock_glial) * (1 + fgf_glial * s_f)
              * (1 + stat3_glial * stat3) + eps_preopc * hill4(OLIG2, gate_threshold)
              * hill4(NKX2_2, gate_threshold) + hill2(GLIAL, K_glial)) * nep - GLIAL)  # pre-OPCs: gliogenic
d.OLIGO     = theta * k_oligo * (hill8(GLIAL, gate_threshold) * hill8(OLIG2, gate_threshold)
              * rep2(s_f, K_fgf_oligo) - OLIGO)            # OLIG2+ glia mature to OPCs; FGF2 holds back
mito        = s_f + s_w + mito_shh * s_hh                 # mitogens of neural progenitors (FGF, WNT, SHH)
d.QUIES     = theta * k_quies * (quies_max * nep * hill4(CLOCK, clock_quies) * rep4(mito, K_mito_quies)
              - QUIES)
d.TRANSGENE = k_transgene * (dox * cassette * VEC_NGN2 - TRANSGENE)  # only where the cassette's NGN2
              # was delivered (a mosaic: the protocol's cassette_efficiency and cassette_vectors)
d.PROGRAMME = k_programme * (TRANSGENE - PROGRAMME)
d.VEC_NGN2  = 0 * VEC_NGN2                                 # what a cell was given stays with it and
d.VEC_IL    = 0 * VEC_IL                                   # its daughters
wo          = clip01(OCT4)
wx          = min(clip01(oth), 1 - wo)
wn          = 1 - wo - wx
glial       = clip01(GLIAL)
q           = clip01(QUIES)
cyc_np      = np_basal + (1 - np_basal) * hill2(mito, K_mito_div)  # share of the mitogen-driven rate
rate.div    = (wo * div_psc + wx * div_off + wn * cyc_np * ((1 - glial) * div_np + glial * div_glial))
              * growth * (1 - q)                            # division rate (1/day)
rate.death  = death_psc * wo + death_np * (1 - wo) + haz * (fragility_psc * wo + fragility_np * (1 - wo))
rate.ng     = k_neurogenesis * hill2(pos(NGN2), K_neurogenesis) * (1 - q)  # neurogenesis (1/day)
rate.tg     = k_programming * hill2(pos(PROGRAMME), K_transgene)  # programming into neurons (1/day)
gh          = hill8(LEVEL, level_hox)                       # HOX+ (hindbrain and spinal)
gn          = hill8(NKX2_2, gate_threshold)
go          = hill8(OLIG2, gate_threshold)
gk          = hill8(NKX6_1, gate_threshold)
p_mn        = gh * go                                       # OLIG2+ cells make MNs, with NKX2.2 too:
              # human OLIG2+/NKX2.2+ progenitors are ventral pMN, not p3 (Jang et al. 2024)
lmc         = lmc_max * (hill8(LEVEL, level_brachial) * rep8(LEVEL, level_thoracic)
              + hill8(LEVEL, level_lumbar))
              * (lmc_ra0 + (1 - lmc_ra0) * s_ra)            # LMC share of new MNs (HOX level, RA)
fate.MMC    = p_mn * (1 - lmc)
fate.LMC    = p_mn * lmc
fate.V3     = gh * gn * (1 - go)
fate.VIN    = gh * (1 - gn) * (1 - go) * gk
fate.DIN    = gh * (1 - gn) * (1 - go) * (1 - gk)
fate.RN     = 1 - gh
fate.IN     = 0 * gh
pat         = hill4(SOX1, K_committed)                      # patterned: programming keeps the domain's fate
nil         = cassette_nil * VEC_IL / (cassette + 1e-12)  # NGN2 with ISL1 and LHX3: motor neurons
ngn         = (cassette_ngn2 + cassette_nil * (1 - VEC_IL)) / (cassette + 1e-12)  # NGN2 alone
prog.MMC    = nil + ngn * pat * fate.MMC
prog.LMC    = ngn * pat * fate.LMC
prog.V3     = ngn * pat * fate.V3
prog.VIN    = ngn * pat * fate.VIN
prog.DIN    = ngn * pat * fate.DIN
prog.RN     = ngn * pat * fate.RN
prog.IN     = ngn * (1 - pat)
"""

READOUT = """
o4          = gate(OCT4, gate_threshold, sigma_measurement)
gnmp        = gate(NMP, gate_threshold, sigma_measurement)
gme         = gate(ME, gate_threshold, sigma_measurement)
gnc         = gate(NC, gate_threshold, sigma_measurement)
gcr         = 1 - (1 - gnc) * (1 - gate(PNB, gate_threshold, sigma_measurement))  # crest lineage:
              # crest, or the pre-neural border state before it
gnne        = gate(NNE, gate_threshold, sigma_measurement)
gne         = gate(NEURAL, gate_threshold, sigma_measurement)
und         = (1 - gnmp) * (1 - gme) * (1 - gcr) * (1 - gnne) * (1 - gne)  # no programme on yet
lv_sum      = pos(NEURAL) + pos(NNE) + pos(NC) + pos(PNB) + pos(ME) + 1e-9  # ... split by their levels
r0          = 1 - o4
c1          = r0 * (1 - gnmp)
c2          = c1 * (1 - gme)
c3          = c2 * (1 - gcr)
c4          = c3 * (1 - gnne)
neural      = c4 * gne + r0 * und * (pos(NEURAL) + 1e-9) / lv_sum
gfp         = gate(FOXA2, gate_threshold, sigma_measurement)
ggl         = gate(GLIAL, gate_threshold, sigma_measurement)
gs1         = gate(SOX1, gate_threshold, sigma_measurement)
gh          = gate(LEVEL, level_hox, sigma_level)
gnh         = gate(LEVEL, level_hindbrain, sigma_level)   # hindbrain level (OTX2 off)
go          = gate(OLIG2, gate_threshold, sigma_measurement)
gn          = gate(NKX2_2, gate_threshold, sigma_measurement)
glia        = neural * (1 - gfp) * ggl
npr         = neural * (1 - gfp) * (1 - ggl)
com         = npr * gs1
tg          = gate(TRANSGENE, gate_threshold, sigma_measurement) * cassette_nil * VEC_IL
lineage     = neural + r0 * gnmp                             # neural lineage (and NMPs) carry the RC code
type.iPSC   = o4
type.NMP    = r0 * gnmp
type.mesendoderm = c1 * gme + r0 * und * pos(ME) / lv_sum
type.neural_crest = c2 * gcr + r0 * und * (pos(NC) + pos(PNB)) / lv_sum
type.non_neural_ectoderm = c3 * gnne + r0 * und * pos(NNE) / lv_sum
type.neuroectoderm = npr * (1 - gs1)
type.rostral_progenitor = com * (1 - gh)
type.floor_plate = neural * gfp
type.pMN    = com * gh * go                                 # with ventral pMN (OLIG2+/NKX2.2+)
type.p3     = com * gh * gn * (1 - go)
type.p2     = com * gh * (1 - gn) * (1 - go)
type.OPC    = glia * (1 - (1 - go) * (1 - gn))
type.astrocyte = glia * (1 - go) * (1 - gn)
marker.OCT4 = o4
marker.PAX6 = gate(PAX6, gate_threshold, sigma_measurement)
marker.SOX1 = gs1
marker.HOX  = lineage * gh
marker.OLIG2 = go
marker.NKX2_2 = gn
marker.IRX3 = gate(IRX3, gate_threshold, sigma_measurement)
marker.NKX6_1 = gate(NKX6_1, gate_threshold, sigma_measurement)
marker.ISL1 = tg
marker.MNX1 = 0 * o4
marker.CHAT = 0 * o4
marker.SOX2 = o4 + r0 * gnmp + neural
marker.T    = r0 * gnmp + c1 * gme + r0 * und * pos(ME) / lv_sum
marker.SOX17 = c1 * gme + r0 * und * pos(ME) / lv_sum
gol         = glia * go * gate(OLIGO, gate_threshold, sigma_measurement)  # OPCs (SOX10+PDGFRA+)
marker.SOX10 = c2 * gnc + r0 * und * pos(NC) / lv_sum + gol
marker.TFAP2A = c2 * gcr + c3 * gnne + r0 * und * (pos(NC) + pos(PNB) + pos(NNE)) / lv_sum
marker.FOXA2 = neural * gfp
marker.OTX2 = o4 + neural * (1 - gnh)                   # primed hPSCs express OTX2
marker.EN1  = neural * gate(LEVEL, level_midbrain, sigma_level) * (1 - gnh)
marker.HOXB4 = lineage * gate(LEVEL, level_hoxb4, sigma_level)
marker.HOXC6 = lineage * gate(LEVEL, level_brachial, sigma_level)
marker.HOXC8 = lineage * gate(LEVEL, level_hoxc8, sigma_level)  # caudal brachial onwards (nested)
marker.HOXC9 = lineage * gate(LEVEL, level_thoracic, sigma_level)
marker.HOXC10 = lineage * gate(LEVEL, level_lumbar, sigma_level)
marker.FOXP1 = 0 * o4
marker.LHX3 = tg
marker.PDGFRA = gol
marker.O4   = glia * go * gate(OLIGO, o4_gate, sigma_measurement)  # a later stage of the same
marker.NFIA = glia
marker.TUBB3 = 0 * o4
"""

NEURON = """
mn          = is_MMC + is_MMC_CHAT + is_LMC + is_LMC_CHAT
nh          = gate(LEVEL, level_hindbrain, sigma_level)   # LEVEL: the level the neuron was born at
gmid        = gate(LEVEL, level_midbrain, sigma_level)    # (ODE: its class's mean, LV_c / c)
marker.OCT4 = 0 * mn
marker.PAX6 = 0 * mn
marker.SOX1 = 0 * mn
marker.HOX  = gate(LEVEL, level_hox, sigma_level)
marker.OLIG2 = 0 * mn
marker.NKX2_2 = 0 * mn
marker.IRX3 = 0 * mn
marker.NKX6_1 = 0 * mn
marker.ISL1 = mn
marker.MNX1 = mn
marker.CHAT = is_MMC_CHAT + is_LMC_CHAT
marker.SOX2 = 0 * mn
marker.T    = 0 * mn
marker.SOX17 = 0 * mn
marker.SOX10 = 0 * mn
marker.TFAP2A = 0 * mn
marker.FOXA2 = 0 * mn
marker.OTX2 = (1 - mn) * (1 - nh)
marker.EN1  = is_RN * gmid * (1 - nh)
marker.HOXB4 = gate(LEVEL, level_hoxb4, sigma_level)
marker.HOXC6 = gate(LEVEL, level_brachial, sigma_level)
marker.HOXC8 = gate(LEVEL, level_hoxc8, sigma_level)
marker.HOXC9 = gate(LEVEL, level_thoracic, sigma_level)
marker.HOXC10 = gate(LEVEL, level_lumbar, sigma_level)
marker.FOXP1 = is_LMC + is_LMC_CHAT
marker.LHX3 = is_MMC + is_MMC_CHAT
marker.PDGFRA = 0 * mn
marker.O4   = 0 * mn
marker.NFIA = 0 * mn
marker.TUBB3 = 1 + 0 * mn
"""

COHORT = """
bn          = PROG * rate.ng
bt          = PROG * rate.tg
b_MMC       = bn * fate.MMC + bt * prog.MMC                 # neurons born into each class (per day)
b_LMC       = bn * fate.LMC + bt * prog.LMC
b_V3        = bn * fate.V3 + bt * prog.V3
b_VIN       = bn * fate.VIN + bt * prog.VIN
b_DIN       = bn * fate.DIN + bt * prog.DIN
b_RN        = bn * fate.RN + bt * prog.RN
b_IN        = bn * fate.IN + bt * prog.IN
d.PROG      = PROG * (rate.div - rate.death - rate.ng - rate.tg)
d.MMC       = b_MMC - (mu_mn + chat) * MMC
d.MMC_CHAT  = chat * MMC - mu_mn * MMC_CHAT
d.LMC       = b_LMC - (mu_mn + chat) * LMC
d.LMC_CHAT  = chat * LMC - mu_mn * LMC_CHAT
d.V3        = b_V3 - mu_n * V3
d.VIN       = b_VIN - mu_n * VIN
d.DIN       = b_DIN - mu_n * DIN
d.RN        = b_RN - mu_n * RN
d.IN        = b_IN - mu_n * IN
d.LV_MMC    = b_MMC * LEVEL - (mu_mn + chat) * LV_MMC      # the level a neuron is born at stays with
d.LV_MMC_CHAT = chat * LV_MMC - mu_mn * LV_MMC_CHAT        # it: each class's summed birth level,
d.LV_LMC    = b_LMC * LEVEL - (mu_mn + chat) * LV_LMC      # which follows its count's own births,
d.LV_LMC_CHAT = chat * LV_LMC - mu_mn * LV_LMC_CHAT        # deaths and maturation; LV_c / c is the
d.LV_V3     = b_V3 * LEVEL - mu_n * LV_V3                  # class's mean birth level, which the
d.LV_VIN    = b_VIN * LEVEL - mu_n * LV_VIN                # neurons' markers read (NEURON)
d.LV_DIN    = b_DIN * LEVEL - mu_n * LV_DIN
d.LV_RN     = b_RN * LEVEL - mu_n * LV_RN
d.LV_IN     = b_IN * LEVEL - mu_n * LV_IN
sum.div     = PROG * rate.div
sum.death   = PROG * rate.death + mu_mn * (MMC + MMC_CHAT + LMC + LMC_CHAT)
              + mu_n * (V3 + VIN + DIN + RN + IN)
"""

GLOBAL = """
d.STRESS       = -stress_recovery * STRESS
d.LINEAGE      = 0 * STRESS
d.CUM_DIV      = sum.div
d.CUM_DEATH    = sum.death
d.CUM_REPLATED = 0 * STRESS
"""


@lru_cache(maxsize=1)
def network() -> Network:
    """The model's equations, parsed (the code generator checks them: ``network_check``)."""
    net = Network(
        tuple(parse_block(DERIVED, "DERIVED")),
        tuple(parse_block(MEDIUM, "MEDIUM")),
        tuple(parse_block(EMIT, "EMIT")),
        tuple(parse_block(SHARED, "SHARED")),
        tuple(parse_block(CELL, "CELL")),
        tuple(parse_block(COHORT, "COHORT")),
        tuple(parse_block(GLOBAL, "GLOBAL")),
        tuple(parse_block(READOUT, "READOUT")),
        tuple(parse_block(NEURON, "NEURON")),
    )
    return net
