"""
Names of local authorities by their ONS code, for filling in a campaign's council.

The postcode directory gives only the code. This table covers the councils the
network works in most; any other code falls back to an empty name, and the
person asking for help types the council themselves.
"""

# NOTE: a partial table of about sixty councils. A complete one needs the ONS
# "Local Authority District names and codes" file, which no installed package ships.
LOCAL_AUTHORITY_NAMES = {
    "E06000016": "Leicester",
    "E06000018": "Nottingham",
    "E06000023": "Bristol",
    "E08000001": "Bolton",
    "E08000002": "Bury",
    "E08000003": "Manchester",
    "E08000004": "Oldham",
    "E08000005": "Rochdale",
    "E08000006": "Salford",
    "E08000007": "Stockport",
    "E08000008": "Tameside",
    "E08000009": "Trafford",
    "E08000010": "Wigan",
    "E08000011": "Knowsley",
    "E08000012": "Liverpool",
    "E08000013": "St. Helens",
    "E08000014": "Sefton",
    "E08000015": "Wirral",
    "E08000017": "Doncaster",
    "E08000018": "Rotherham",
    "E08000021": "Newcastle upon Tyne",
    "E08000022": "North Tyneside",
    "E08000023": "South Tyneside",
    "E08000024": "Sunderland",
    "E08000025": "Birmingham",
    "E08000026": "Coventry",
    "E08000027": "Dudley",
    "E08000028": "Sandwell",
    "E08000029": "Solihull",
    "E08000030": "Walsall",
    "E08000031": "Wolverhampton",
    "E08000032": "Bradford",
    "E08000033": "Calderdale",
    "E08000034": "Kirklees",
    "E08000035": "Leeds",
    "E08000036": "Wakefield",
    "E08000037": "Gateshead",
    "E08000038": "Barnsley",
    "E08000039": "Sheffield",
    "E09000001": "City of London",
    "E09000002": "Barking and Dagenham",
    "E09000003": "Barnet",
    "E09000004": "Bexley",
    "E09000005": "Brent",
    "E09000006": "Bromley",
    "E09000007": "Camden",
    "E09000008": "Croydon",
    "E09000009": "Ealing",
    "E09000010": "Enfield",
    "E09000011": "Greenwich",
    "E09000012": "Hackney",
    "E09000013": "Hammersmith and Fulham",
    "E09000014": "Haringey",
    "E09000015": "Harrow",
    "E09000016": "Havering",
    "E09000017": "Hillingdon",
    "E09000018": "Hounslow",
    "E09000019": "Islington",
    "E09000020": "Kensington and Chelsea",
    "E09000021": "Kingston upon Thames",
    "E09000022": "Lambeth",
    "E09000023": "Lewisham",
    "E09000024": "Merton",
    "E09000025": "Newham",
    "E09000026": "Redbridge",
    "E09000027": "Richmond upon Thames",
    "E09000028": "Southwark",
    "E09000029": "Sutton",
    "E09000030": "Tower Hamlets",
    "E09000031": "Waltham Forest",
    "E09000032": "Wandsworth",
    "E09000033": "Westminster",
    "S12000036": "City of Edinburgh",
    "S12000049": "Glasgow City",
    "W06000011": "Swansea",
    "W06000015": "Cardiff",
}


def local_authority_name(code: str) -> str:
    return LOCAL_AUTHORITY_NAMES.get(code, "")


NATION_BY_CODE_PREFIX = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}

# English regions of the councils in LOCAL_AUTHORITY_NAMES, from the ONS region
# of each (metropolitan districts are numbered by county, so ranges suffice).
ENGLISH_REGION_BY_CODE = {
    **{f"E080000{number:02d}": "North West" for number in range(1, 16)},
    **{f"E080000{number:02d}": "Yorkshire and The Humber" for number in [16, 17, 18, 19, 32, 33, 34, 35, 36, 38, 39]},
    **{f"E080000{number:02d}": "North East" for number in [21, 22, 23, 24, 37]},
    **{f"E080000{number:02d}": "West Midlands" for number in range(25, 32)},
    "E06000016": "East Midlands",
    "E06000018": "East Midlands",
    "E06000023": "South West",
}


def region_name(code: str) -> str:
    """Return the English region, or the nation outside England, of a local authority code; empty when unknown.

    NOTE: English councils outside LOCAL_AUTHORITY_NAMES return "England (region not known)",
    because no installed package ships the ONS lookup from council to region.
    """
    if not code:
        return ""
    if code.startswith("E09"):
        return "London"
    if code.startswith("E"):
        return ENGLISH_REGION_BY_CODE.get(code, "England (region not known)")
    return NATION_BY_CODE_PREFIX.get(code[:1], "")
