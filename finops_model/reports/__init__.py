"""Reports: charts, the business case and portfolio pages, exports and notebook rendering."""
