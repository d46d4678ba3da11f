function test_ten_m2()
  assert_quote_total({ project = { area_m2 = 10 } }, 100)
end

function test_wrong_total()
  assert_quote_total({ project = { area_m2 = 10 } }, 99)
end
