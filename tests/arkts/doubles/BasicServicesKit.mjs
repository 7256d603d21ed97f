// Test double of @kit.BasicServicesKit: only types (BusinessError) are used, so it is empty.
export default {};
