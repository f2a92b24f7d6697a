// The moto launcher's prerequisites are checked before anything is spawned, with a message naming the fix.
import { awsEnv, motoPython, startMoto } from "../../../sandbox/moto";

describe("moto harness", () => {
  const saved = process.env.CAPSICUM_MOTO_PYTHON;
  afterEach(() => { if (saved === undefined) delete process.env.CAPSICUM_MOTO_PYTHON; else process.env.CAPSICUM_MOTO_PYTHON = saved; });

  test("a missing virtualenv fails with a message naming npm run cluster:build", async () => {
    process.env.CAPSICUM_MOTO_PYTHON = "/nonexistent/capsicum/bin/python";
    await expect(startMoto({ clusterName: "x" })).rejects.toThrow(/virtualenv is missing \(\/nonexistent\/capsicum\/bin\/python\)\. Fix: npm run cluster:build/);
  });

  test("the default python is the pinned moto version's venv under the capsicum cache", () => {
    delete process.env.CAPSICUM_MOTO_PYTHON;
    expect(motoPython()).toMatch(/moto-v5\.2\.5\/bin\/python$/);
  });

  test("awsEnv points the SDK at the endpoint with us-east-1 and dummy credentials", () => {
    expect(awsEnv("http://127.0.0.1:5000")).toEqual({
      AWS_ENDPOINT_URL: "http://127.0.0.1:5000", AWS_REGION: "us-east-1", AWS_DEFAULT_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing",
    });
  });
});
