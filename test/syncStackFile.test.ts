import { parse } from "yaml";
import { mergeStackFile } from "../scripts/local/syncStackFile";

const repo = `secretsprovider: awskms://alias/dev
encryptedkey: AQICAH
config:
  app:greeting: Hello
  app:replicas: "2"
`;

describe("mergeStackFile (--sync-stack-file)", () => {
    it("copies the repository's file as a whole into an empty work directory", () => {
        expect(parse(mergeStackFile(repo, undefined, "app"))).toEqual(parse(repo));
    });

    it("keeps the work directory's salt and image, and takes everything else from the repository", () => {
        const current = `encryptionsalt: v1:local
config:
  app:greeting: Old
  app:image: r/s@sha256:ab
  app:gone: x
`;
        expect(parse(mergeStackFile(repo, current, "app"))).toEqual({
            secretsprovider: "awskms://alias/dev",
            encryptedkey: "AQICAH",
            encryptionsalt: "v1:local",
            config: { "app:greeting": "Hello", "app:replicas": "2", "app:image": "r/s@sha256:ab" },
        });
    });

    it("reads an empty file as no config", () => {
        expect(parse(mergeStackFile("", "", "app"))).toEqual({ config: {} });
    });
});
