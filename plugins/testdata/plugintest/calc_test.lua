-- Passing and failing tests of every helper, in file order.
function test_passes()
  assert_eq(double(2), 4)
  assert_eq({ a = { 1, 2 } }, { a = { 1, 2 } })
  local q = assert_quote_total({ project = { area_m2 = 10 } }, 121)
  assert_eq(q.total_minor, 12100)
  assert_quote_total({ project = { area_m2 = 10 }, config = { currency = "GBP" } }, 121)
  assert_error("needs a human", quote, { project = {} })
end

function test_assert_fails()
  assert(double(2) == 5, "double(2) should be 5")
end

function test_assert_eq_fails()
  assert_eq({ a = 1 }, { a = 2 }, "tables")
end

function test_quote_total_fails()
  assert_quote_total({ project = { area_m2 = 10 } }, 120)
end

function test_quote_errors()
  assert_quote_total({ project = {} }, 1)
end

function test_assert_error_fails()
  assert_error("boom", double, 2)
end

function test_globals_are_fresh()
  assert_eq(leftover, nil)
  leftover = true
end

function test_globals_are_fresh_again()
  assert_eq(leftover, nil)
  leftover = true
end

function test_runtime_error()
  local t = nil
  return t.x
end

function test_endless()
  while true do end
end

function helper_not_a_test()
  error("never called")
end

function test_prints()
  print("area", 10, nil, true)
  print(string.format("total %.2f", 12.5))
  assert_eq(#"x", 1)
end

function test_assert_eq_sees_a_quote_line()
  local q = assert_quote_total({ project = { area_m2 = 10 } }, 121)
  assert_eq(q.items[1], { description = "Work", quantity = 10, unit = "m²", unit_price = 10, total = 100 })
end

function test_assert_eq_fails_on_a_quote_line()
  local q = assert_quote_total({ project = { area_m2 = 10 } }, 121)
  assert_eq(q.items[1], { description = "Work", quantity = 10, unit = "m²", unit_price = 10, total = 99 })
end
