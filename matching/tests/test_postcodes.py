"""Postcode normalisation and offline lookup against the ONS Postcode Directory."""

import pytest

from matching.postcodes import (
    Grid,
    InvalidPostcode,
    PostcodeNotCovered,
    PostcodeNotFound,
    distance_miles,
    lookup_postcode,
    normalise_postcode,
)


@pytest.mark.parametrize("raw", ["sw1a 1aa", "SW1A1AA", "  sw1a   1aa ", "Sw1A 1aA"])
def test_normalise_spacing_and_case(raw):
    assert normalise_postcode(raw) == "SW1A 1AA"


@pytest.mark.parametrize(("raw", "expected"), [("b11ay", "B1 1AY"), (" B1  1AY ", "B1 1AY")])
def test_normalise_short_outward_codes(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize("postcode", ["M1 1AE", "EC1A 1BB", "W1A 0AX", "CR2 6XH", "DN55 1PT", "B1 1AY"])
def test_all_outward_shapes_geocode(postcode):
    location = lookup_postcode(postcode)
    assert location.postcode == postcode
    assert location.grid == Grid.BRITISH
    assert location.has_coordinates
    assert 0 < location.easting < 700_000
    assert 0 < location.northing < 1_300_000


@pytest.mark.parametrize("raw", ["QA1 1AA", "AB1 1CI", "SW1A 1A", "12345", "", "   ", "B1 1AY; DROP TABLE"])
def test_malformed_postcodes_are_invalid(raw):
    with pytest.raises(InvalidPostcode):
        lookup_postcode(raw)


@pytest.mark.parametrize(
    ("postcode", "place"), [("JE2 3AB", "Jersey"), ("GY1 1AA", "Guernsey"), ("IM1 1AA", "Isle of Man")]
)
def test_crown_dependencies_are_not_covered(postcode, place):
    with pytest.raises(PostcodeNotCovered, match=place):
        lookup_postcode(postcode)


def test_unknown_postcode_is_not_found():
    with pytest.raises(PostcodeNotFound, match="couldn't find"):
        lookup_postcode("B99 9ZZ")


def test_northern_ireland_has_no_british_grid_coordinates():
    location = lookup_postcode("BT1 5GS")
    assert location.grid == Grid.IRISH
    assert location.easting is None
    assert not location.has_coordinates


@pytest.mark.parametrize("postcode", ["GIR 0AA", "BFPO 801"])
def test_postcodes_without_geography(postcode):
    location = lookup_postcode(postcode)
    assert location.postcode == postcode
    assert not location.has_coordinates


def test_local_authority_comes_from_directory():
    location = lookup_postcode("B1 1AY")
    assert location.local_authority_code == "E08000025"
    assert location.local_authority_name == "Birmingham"


def test_distance_between_birmingham_and_london():
    birmingham = lookup_postcode("B1 1AY")
    london = lookup_postcode("SW1A 1AA")
    miles = distance_miles(birmingham.easting, birmingham.northing, london.easting, london.northing)
    # About 100 miles as the crow flies.
    assert 95 < miles < 105


@pytest.mark.parametrize(
    ("postcode", "region"),
    [
        ("B1 1AY", "West Midlands"),
        ("M1 1AE", "North West"),
        ("LS1 1UR", "Yorkshire and The Humber"),
        ("NE1 7RU", "North East"),
        ("SW1A 1AA", "London"),
        ("BS1 5TR", "South West"),
        ("NG1 5DT", "East Midlands"),
        ("CF10 1EP", "Wales"),
        ("G1 1XQ", "Scotland"),
    ],
)
def test_region_of_postcode(postcode, region):
    from matching.local_authorities import region_name

    assert region_name(lookup_postcode(postcode).local_authority_code) == region


def test_region_of_unlisted_english_council():
    from matching.local_authorities import region_name

    assert region_name("E07000001") == "England (region not known)"
    assert region_name("") == ""
