"""The kinds of agency found at MPPs, one national list: each mall names its agencies its own way ("polres",
"satpas_slawi", "kepolisian"), so the ministry's IKM per agency across malls groups them by the kind a site file
gives each agency (`[[agencies]] kind`). An agency with no kind is reported as not yet classified, never guessed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AgencyKind:
    id: str
    name: str
    name_en: str


AGENCY_KINDS: tuple[AgencyKind, ...] = (
    AgencyKind("dukcapil", "Kependudukan dan Pencatatan Sipil", "Civil registry"),
    AgencyKind("kepolisian", "Kepolisian (SIM, SKCK)", "Police (driving licences, police certificates)"),
    AgencyKind("samsat", "Samsat (kendaraan bermotor)", "Samsat (motor vehicles)"),
    AgencyKind("imigrasi", "Imigrasi", "Immigration"),
    AgencyKind("pajak", "Pajak pusat (DJP)", "National tax (DJP)"),
    AgencyKind("pajak_daerah", "Pajak daerah (Bapenda)", "Regional tax (Bapenda)"),
    AgencyKind("bpjs_kesehatan", "BPJS Kesehatan", "BPJS Kesehatan (health insurance)"),
    AgencyKind("bpjs_ketenagakerjaan", "BPJS Ketenagakerjaan", "BPJS Ketenagakerjaan (employment insurance)"),
    AgencyKind("pertanahan", "Pertanahan (ATR/BPN)", "Land office (ATR/BPN)"),
    AgencyKind("perizinan", "Perizinan (DPMPTSP)", "Permits and investment (DPMPTSP)"),
    AgencyKind("kemenag", "Kementerian Agama", "Religious affairs"),
    AgencyKind("ketenagakerjaan", "Ketenagakerjaan (Disnaker)", "Manpower (Disnaker)"),
    AgencyKind("kesehatan", "Kesehatan", "Health"),
    AgencyKind("sosial", "Sosial", "Social affairs"),
    AgencyKind("perhubungan", "Perhubungan", "Transport"),
    AgencyKind("pengadilan", "Pengadilan", "Courts"),
    AgencyKind("kejaksaan", "Kejaksaan", "Public prosecution"),
    AgencyKind("bank", "Perbankan", "Banks"),
    AgencyKind("pos", "Pos Indonesia", "Post office"),
    AgencyKind("pensiun", "Dana pensiun (Taspen, Asabri)", "Pensions (Taspen, Asabri)"),
    AgencyKind("listrik", "Listrik (PLN)", "Electricity (PLN)"),
    AgencyKind("air_minum", "Air minum (PDAM)", "Drinking water (PDAM)"),
    AgencyKind("lainnya", "Lainnya", "Other"),
)

BY_ID = {k.id: k for k in AGENCY_KINDS}
UNCLASSIFIED = AgencyKind("", "Belum digolongkan", "Not yet classified")


def kind_of(kind_id: str | None) -> AgencyKind:
    return BY_ID.get(kind_id or "", UNCLASSIFIED)
